import type { Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCustomersByIds } from './db/customers.repo.ts';
import type { CustomerRow } from './db/schema.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) => {
      const rows = await findCustomersByIds(db, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
