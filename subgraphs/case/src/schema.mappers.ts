import type { CaseHistoryRow, CaseRow } from './db/schema.ts';

export type CaseMapper = CaseRow;
export type CaseHistoryEntryMapper = CaseHistoryRow;
export type CustomerMapper = { id: string };
export type { CompensationDecision as CompensationDecisionMapper } from './domain/compensation/engine.ts';
export type { CaseCommentRow as CaseCommentMapper } from './db/schema.ts';
