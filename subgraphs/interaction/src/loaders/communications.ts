import type { Database } from '@cmp/platform';

export function communicationsLoaders(_db: Database) {
  return {};
}
