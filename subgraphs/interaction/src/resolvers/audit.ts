import { auditRecordsResolver, auditTrailReference } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { auditLog } from '../db/schema.ts';

/** This subgraph's part of a customer's audit trail (DataPrivacyOfficer or Admin, with MFA). */
export const auditResolvers: Resolvers<Context> = {
  AuditTrail: {
    __resolveReference: (reference, context) => auditTrailReference(reference, context),
    interactionRecords: auditRecordsResolver(auditLog, 'interaction', 'interactionRecords'),
  },
};
