import type { Database } from '@cmp/platform';
import { communicationsLoaders } from './loaders/communications.ts';
import { deliveryLoaders } from './loaders/delivery.ts';
import { feedbackLoaders } from './loaders/feedback.ts';
import { timelineLoaders } from './loaders/timeline.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return { ...timelineLoaders(db), ...communicationsLoaders(db), ...deliveryLoaders(db), ...feedbackLoaders(db) };
}

export type Loaders = ReturnType<typeof createLoaders>;
