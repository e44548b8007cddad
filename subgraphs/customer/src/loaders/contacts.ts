import type { Database } from '@cmp/platform';

export function contactLoaders(_db: Database) {
  return {};
}
