import { ERASURE_SUBGRAPHS, Privilege, requirePrivilege, requireUuid } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { eraseCustomer, previewCustomerErasure } from '../domain/erasure.ts';

/** GDPR erasure: DataPrivacyOfficer (or Admin) with MFA for the preview, the erasure and its reports. */
export const erasureResolvers: Resolvers<Context> = {
  Query: {
    erasurePreview: async (_parent, { customerId }, { db, caller }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      // Checks the customer exists before any subgraph is asked for its part.
      await previewCustomerErasure(db, customerId);
      return { customerId: requireUuid('customerId', customerId) };
    },
    erasureReport: (_parent, { id }, { caller, loaders }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return loaders.erasureById.load(requireUuid('id', id));
    },
  },
  Mutation: {
    eraseCustomer: (_parent, { id, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return eraseCustomer(db, caller, events, id, reason);
    },
  },
  ErasurePreview: {
    __resolveReference: (reference, { caller }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return { customerId: requireUuid('customerId', reference.customerId) };
    },
    customer: ({ customerId }, _args, { db, caller }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return previewCustomerErasure(db, customerId);
    },
  },
  ErasureReport: {
    __resolveReference: async (reference, { caller, loaders }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return loaders.erasureById.load(requireUuid('id', reference.id));
    },
    sections: async (erasure, _args, { loaders }) => {
      const sections = await loaders.erasureSectionsByErasure.load(erasure.id);
      return ERASURE_SUBGRAPHS.map((subgraph) => {
        const section = sections.find((s) => s.subgraph === subgraph);
        return section
          ? { subgraph, status: 'COMPLETED' as const, completedAt: section.completedAt, tables: section.tables, retained: section.retained }
          : { subgraph, status: 'PENDING' as const, completedAt: null, tables: [], retained: [] };
      });
    },
  },
};
