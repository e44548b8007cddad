import { alignOne, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCustomersByIds } from './db/customers.repo.ts';
import type { CustomerRow } from './db/schema.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) =>
      alignOne(ids, await findCustomersByIds(db, ids), (c) => c.id),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
