import type { EventConsumer } from '@cmp/platform';
import { analyseForStorage, storeTextAnalysis } from '../analysis/index.ts';
import { findAnalysisBySubject } from '../db/analysis.repo.ts';

/**
 * Analyses each new case's description (subject and description together, in the case's language when it has one)
 * as subject `Case/<caseId>`, before opening the transaction that stores it (an outside provider is never called
 * while locks are held). Idempotent: one analysis per case, so a redelivered event changes nothing and asks the
 * provider nothing.
 */
export const caseAnalysisConsumer: EventConsumer = {
  name: 'interaction.case-analysis',
  types: ['cmp.case.CustomerComplaintReceived'],
  async handle(db, event) {
    const data = event.data as { caseId?: string; subject?: string; description?: string; language?: string | null };
    const customerId = event.customerid;
    const text = [data.subject, data.description].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join('\n');
    if (!customerId || !data.caseId || !text) return;
    if (await findAnalysisBySubject(db, 'Case', data.caseId)) return;
    const language = data.language ?? null;
    const analysis = await analyseForStorage(text, language);
    await db.transaction((tx) => storeTextAnalysis(tx, { subjectType: 'Case', subjectId: data.caseId!, customerId, text, language }, analysis));
  },
};
