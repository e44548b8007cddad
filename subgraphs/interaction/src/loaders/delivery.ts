import type { Database } from '@cmp/platform';

export function deliveryLoaders(_db: Database) {
  return {};
}
