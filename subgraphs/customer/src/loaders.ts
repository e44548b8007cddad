import type { Database } from '@cmp/platform';
import { commerceLoaders } from './loaders/commerce.ts';
import { contactLoaders } from './loaders/contacts.ts';
import { customerLoaders } from './loaders/customers.ts';
import { erasureLoaders } from './loaders/erasure.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return { ...customerLoaders(db), ...contactLoaders(db), ...commerceLoaders(db), ...erasureLoaders(db) };
}

export type Loaders = ReturnType<typeof createLoaders>;
