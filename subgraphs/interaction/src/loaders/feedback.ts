import type { Database } from '@cmp/platform';

export function feedbackLoaders(_db: Database) {
  return {};
}
