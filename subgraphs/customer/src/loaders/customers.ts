import { alignOne, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCustomersByIds } from '../db/customers.repo.ts';
import type { CustomerRow } from '../db/schema.ts';

export function customerLoaders(db: Database) {
  return {
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) =>
      alignOne(ids, await findCustomersByIds(db, ids), (c) => c.id),
    ),
  };
}
