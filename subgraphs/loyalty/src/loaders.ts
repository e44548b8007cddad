import { alignMany, alignOne, loaderPerArguments, type Database, type KeysetPosition } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findAccountsByCustomerIds, findAccountsByIds, findTierHistory } from './db/accounts.repo.ts';
import { findStatements } from './db/ledger.repo.ts';
import type { AccountRow, LedgerEntryRow, TierChangeRow } from './db/schema.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    accountById: new DataLoader<string, AccountRow | null>(async (ids) =>
      alignOne(ids, await findAccountsByIds(db, ids), (a) => a.id),
    ),
    accountByCustomerId: new DataLoader<string, AccountRow | null>(async (customerIds) =>
      alignOne(customerIds, await findAccountsByCustomerIds(db, customerIds), (a) => a.customerId),
    ),
    tierHistoryByAccountId: new DataLoader<string, TierChangeRow[]>(async (accountIds) =>
      alignMany(accountIds, await findTierHistory(db, accountIds), (r) => r.accountId),
    ),
    statementOfAccount: loaderPerArguments<{ limit: number; after: KeysetPosition | null }, LedgerEntryRow[]>(async (accountIds, page) =>
      alignMany(accountIds, await findStatements(db, accountIds, page), (e) => e.accountId),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
