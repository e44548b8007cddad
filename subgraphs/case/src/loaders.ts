import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCasesByIds, findCasesOfCustomers, findHistory } from './db/cases.repo.ts';
import type { CaseHistoryRow, CaseRow } from './db/schema.ts';
import type { CaseStatus } from './domain/rules.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    caseById: new DataLoader<string, CaseRow | null>(async (ids) => alignOne(ids, await findCasesByIds(db, ids), (c) => c.id)),
    historyByCaseId: new DataLoader<string, CaseHistoryRow[]>(async (ids) =>
      alignMany(ids, await findHistory(db, ids), (h) => h.caseId),
    ),
    casesOfCustomer: loaderPerArguments<CaseStatus[] | null, CaseRow[]>(async (customerIds, statuses) =>
      alignMany(customerIds, await findCasesOfCustomers(db, customerIds, statuses), (c) => c.customerId),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
