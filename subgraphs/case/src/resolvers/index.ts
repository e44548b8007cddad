import { Privilege, normaliseFilter, isSelfServiceOnly, requireCustomerAccess, requirePrivilege, requireUuid, type Caller } from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { CaseRow } from '../db/schema.ts';
import { openCase } from '../domain/cases.ts';
import { calculateCompensation, compensationSettings } from '../domain/compensation/engine.ts';

/** Complaint handlers and readers of the customer see a case; a customer sees its own. */
function requireCaseAccess(caller: Caller, row: CaseRow): void {
  requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
}

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    case: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.caseById.load(requireUuid('id', id));
      if (row) requireCaseAccess(caller, row);
      return row;
    },
    calculateCompensation: (_parent, { input }, { caller }) => {
      requirePrivilege(caller, Privilege.CustomerRead);
      return calculateCompensation(input, compensationSettings());
    },
  },
  Mutation: {
    openCase: (_parent, { input }, { db, caller, events }) => {
      requireCustomerAccess(caller, requireUuid('customerId', input.customerId), Privilege.ComplaintManage);
      return openCase(db, caller, events, input, isSelfServiceOnly(caller) ? 'SELF_SERVICE' : 'AGENT');
    },
  },
  Case: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const row = await loaders.caseById.load(reference.id);
      if (row) requireCaseAccess(caller, row);
      return row;
    },
    history: (row, _args, { loaders }) => loaders.historyByCaseId.load(row.id),
    customer: (row) => ({ id: row.customerId }),
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    cases: (customer, { status }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.casesOfCustomer(customer.id, normaliseFilter(status));
    },
  },
};
