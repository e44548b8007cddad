import { customerIn, ERASED_TEXT, type ErasurePlan } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { dataExportSections, invitations, erasedCustomers, outbox, scans } from './schema.ts';

const invitationsOf = (ids: string[]) => sql`(select ${invitations.id} from ${invitations} where ${customerIn(invitations.customerId, ids)})`;

/**
 * What GDPR erasure changes here: the free-text revocation reason. Invitations hold no guest name, e-mail or
 * address (the QR is a claim check, the CRM delivers it); kept are the invitations with their lounge, window,
 * status, guests and entries used, and every scan (the lounge's counts stay true).
 */
export const invitationErasurePlan: ErasurePlan = {
  subgraph: 'invitation',
  outbox,
  erasedCustomers,
  steps: [
    {
      table: invitations,
      fields: ['revocation_reason'],
      where: (ids) => customerIn(invitations.customerId, ids),
      set: sql`revocation_reason = case when revocation_reason is null then null else ${ERASED_TEXT} end`,
    },
    {
      // A data-subject export's copy of the records must not outlive them (the export consumer also deletes it).
      table: dataExportSections,
      fields: ['section'],
      where: (ids) => customerIn(dataExportSections.customerId, ids),
      set: sql`section = '{}'::jsonb`,
    },
  ],
  retained: [
    {
      table: invitations,
      what: 'invitations with their lounge, validity, status, guests and entries used',
      where: (ids) => customerIn(invitations.customerId, ids),
    },
    { table: scans, what: 'scans of those invitations with their outcome', where: (ids) => sql`${scans.invitationId} in ${invitationsOf(ids)}` },
  ],
};
