import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findFollowUpTasksOfCustomers } from '../db/follow-ups.repo.ts';
import { findInteractionsByIds } from '../db/interactions.repo.ts';
import type { FollowUpTaskRow, InteractionRow, TimelineEntryRow } from '../db/schema.ts';
import { findTimelineEntriesByIds, findTimelinePages, type TimelinePage } from '../db/timeline.repo.ts';

export function timelineLoaders(db: Database) {
  return {
    interactionById: new DataLoader<string, InteractionRow | null>(async (ids) =>
      alignOne(ids, await findInteractionsByIds(db, ids), (i) => i.id),
    ),
    followUpTasksOfCustomer: loaderPerArguments<boolean, FollowUpTaskRow[]>(async (customerIds, includeDone) =>
      alignMany(customerIds, await findFollowUpTasksOfCustomers(db, customerIds, includeDone), (t) => t.customerId),
    ),
    timelineEntryById: new DataLoader<string, TimelineEntryRow | null>(async (ids) =>
      alignOne(ids, await findTimelineEntriesByIds(db, ids), (e) => e.id),
    ),
    timelineOfCustomer: loaderPerArguments<TimelinePage, TimelineEntryRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findTimelinePages(db, customerIds, page), (e) => e.customerId),
    ),
  };
}
