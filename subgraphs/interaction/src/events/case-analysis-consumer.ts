import type { EventConsumer } from '@cmp/platform';
import { recordTextAnalysis } from '../analysis/index.ts';

/**
 * Analyses each new case's description (subject and description together, in the case's language when it has one)
 * as subject `Case/<caseId>`. Idempotent: one analysis per case, so a redelivered event changes nothing.
 */
export const caseAnalysisConsumer: EventConsumer = {
  name: 'interaction.case-analysis',
  types: ['cmp.case.CustomerComplaintReceived'],
  async handle(db, event) {
    const data = event.data as { caseId?: string; subject?: string; description?: string; language?: string | null };
    const customerId = event.customerid;
    const text = [data.subject, data.description].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join('\n');
    if (!customerId || !data.caseId || !text) return;
    await db.transaction((tx) =>
      recordTextAnalysis(tx, { subjectType: 'Case', subjectId: data.caseId!, customerId, text, language: data.language ?? null })
    );
  },
};
