import { Privilege, normaliseFilter, requireCustomerAccess, requirePrivilege, requireUuid } from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { listLounges } from '../domain/lounges.ts';
import { issueInvitation } from '../domain/invitations.ts';

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    invitation: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.invitationById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    lounges: (_parent, _args, { caller, db }) => {
      requirePrivilege(caller, Privilege.CustomerRead);
      return listLounges(db);
    },
  },
  Mutation: {
    issueInvitation: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InvitationIssue);
      return issueInvitation(db, caller, events, input);
    },
  },
  Invitation: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const row = await loaders.invitationById.load(reference.id);
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    lounge: async (row, _args, { loaders }) => (await loaders.loungeByCode.load(row.loungeCode))!,
    issuedAt: (row) => row.createdAt,
    customer: (row) => ({ id: row.customerId }),
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    invitations: (customer, { status }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.invitationsOfCustomer(customer.id, normaliseFilter(status));
    },
  },
};
