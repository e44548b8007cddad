import { Privilege, previewErasure, requirePrivilege, requireUuid } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { invitationErasurePlan } from '../db/erasure.repo.ts';

/** This subgraph's part of a GDPR erasure preview: DataPrivacyOfficer (or Admin) with MFA only. */
export const erasureResolvers: Resolvers<Context> = {
  ErasurePreview: {
    __resolveReference: (reference, { caller }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return { customerId: requireUuid('customerId', reference.customerId) };
    },
    invitation: ({ customerId }, _args, { db, caller }) => {
      requirePrivilege(caller, Privilege.GdprErase);
      return previewErasure(db, invitationErasurePlan, [customerId]);
    },
  },
};
