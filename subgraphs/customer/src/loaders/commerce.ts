import type { Database } from '@cmp/platform';

export function commerceLoaders(_db: Database) {
  return {};
}
