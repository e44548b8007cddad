import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findInteractionsByIds } from './db/interactions.repo.ts';
import type { InteractionRow, TimelineEntryRow } from './db/schema.ts';
import { findTimelinePages, type TimelinePage } from './db/timeline.repo.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    interactionById: new DataLoader<string, InteractionRow | null>(async (ids) =>
      alignOne(ids, await findInteractionsByIds(db, ids), (i) => i.id),
    ),
    timelineOfCustomer: loaderPerArguments<TimelinePage, TimelineEntryRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findTimelinePages(db, customerIds, page), (e) => e.customerId),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
