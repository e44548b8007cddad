import type { CaseCommentRow, CaseHistoryRow, CaseRow, CompensationClaimRow } from './db/schema.ts';
import type { CompensationDecision } from './domain/compensation/engine.ts';

export type CaseMapper = CaseRow;
export type CaseHistoryEntryMapper = CaseHistoryRow;
export type CaseCommentMapper = CaseCommentRow;
export type CompensationClaimMapper = CompensationClaimRow;
export type CompensationDecisionMapper = CompensationDecision;
export type CustomerMapper = { id: string };
