import type { CaseHistoryRow, CaseRow } from './db/schema.ts';

export type CaseMapper = CaseRow;
export type CaseHistoryEntryMapper = CaseHistoryRow;
export type CustomerMapper = { id: string };
