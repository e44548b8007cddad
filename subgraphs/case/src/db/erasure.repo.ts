import { customerIn, ERASED_TEXT, resultRows, type ErasurePlan, type Executor } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { attachmentRuntime } from '../attachments/attachments.ts';
import { caseAttachments, caseComments, caseHistory, cases, compensationClaims, dataExportSections, erasedCustomers, outbox } from './schema.ts';

const casesOf = (ids: string[]) => sql`(select ${cases.id} from ${cases} where ${customerIn(cases.customerId, ids)})`;

const attachmentKeys = async (db: Executor, ids: string[]) =>
  resultRows<{ key: string }>(
    await db.execute(sql`select ${caseAttachments.storageKey} as key from ${caseAttachments} where ${caseAttachments.caseId} in ${casesOf(ids)}`),
  ).map((r) => r.key);

/**
 * What GDPR erasure changes here: the customer's words and names in cases (subject, description, resolution),
 * status notes, comments, claim decision notes and attachment names. Kept, anonymised: every case with its number,
 * status, category, priority, dates and compensation offered, and every compensation claim with its disruption,
 * the engine's decision and trace, amount, approval and payment reference (financial records).
 */
export const caseErasurePlan: ErasurePlan = {
  subgraph: 'case',
  outbox,
  erasedCustomers,
  steps: [
    {
      table: cases,
      fields: ['subject', 'description', 'resolution'],
      where: (ids) => customerIn(cases.customerId, ids),
      set: sql`subject = ${ERASED_TEXT}, description = ${ERASED_TEXT}, resolution = case when resolution is null then null else ${ERASED_TEXT} end`,
    },
    {
      table: caseHistory,
      fields: ['note'],
      where: (ids) => sql`${caseHistory.caseId} in ${casesOf(ids)}`,
      set: sql`note = ${ERASED_TEXT}`,
    },
    {
      table: caseComments,
      fields: ['body'],
      where: (ids) => sql`${caseComments.caseId} in ${casesOf(ids)}`,
      set: sql`body = ${ERASED_TEXT}`,
    },
    {
      table: compensationClaims,
      fields: ['decision_note'],
      where: (ids) => sql`${compensationClaims.caseId} in ${casesOf(ids)}`,
      set: sql`decision_note = case when decision_note is null then null else ${ERASED_TEXT} end`,
    },
    {
      table: caseAttachments,
      fields: ['file_name'],
      where: (ids) => sql`${caseAttachments.caseId} in ${casesOf(ids)}`,
      set: sql`file_name = ${ERASED_TEXT}`,
    },
    {
      // A data-subject export's copy of the records must not outlive them (the export consumer also deletes it).
      table: dataExportSections,
      fields: ['section'],
      where: (ids) => customerIn(dataExportSections.customerId, ids),
      set: sql`section = '{}'::jsonb`,
    },
  ],
  // The files themselves live in the blob store (a directory or an S3 bucket), not in a table.
  outside: [
    {
      name: 'blob store: case attachments',
      fields: ['file'],
      count: async (db, ids) => (await attachmentKeys(db, ids)).length,
      async remove(db, ids) {
        const keys = await attachmentKeys(db, ids);
        if (keys.length === 0) return 0;
        const { store } = attachmentRuntime();
        for (const key of keys) await store.remove(key);
        return keys.length;
      },
    },
  ],
  retained: [
    {
      table: cases,
      what: 'cases with their number, status, category, priority, dates and compensation offered',
      where: (ids) => customerIn(cases.customerId, ids),
    },
    {
      table: compensationClaims,
      what: 'compensation claims with their decision, amount, approval and payment',
      where: (ids) => sql`${compensationClaims.caseId} in ${casesOf(ids)}`,
    },
  ],
};
