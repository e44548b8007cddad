import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findInteractionsByIds } from '../db/interactions.repo.ts';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { followUpTasks, type FollowUpTaskRow, type InteractionRow, type TimelineEntryRow } from '../db/schema.ts';
import { findTimelineEntriesByIds, findTimelinePages, type TimelinePage } from '../db/timeline.repo.ts';


export function timelineLoaders(db: Database) {
  return {
    interactionById: new DataLoader<string, InteractionRow | null>(async (ids) =>
      alignOne(ids, await findInteractionsByIds(db, ids), (i) => i.id),
    ),
    followUpTasksOfCustomer: loaderPerArguments<boolean, FollowUpTaskRow[]>(async (customerIds, includeDone) =>
      alignMany(
        customerIds,
        await db
          .select()
          .from(followUpTasks)
          .where(and(inArray(followUpTasks.customerId, [...customerIds]), includeDone ? undefined : eq(followUpTasks.status, 'OPEN')))
          .orderBy(asc(followUpTasks.dueAt), asc(followUpTasks.id)),
        (t) => t.customerId,
      ),
    ),
    timelineEntryById: new DataLoader<string, TimelineEntryRow | null>(async (ids) =>
      alignOne(ids, await findTimelineEntriesByIds(db, ids), (e) => e.id),
    ),
    timelineOfCustomer: loaderPerArguments<TimelinePage, TimelineEntryRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findTimelinePages(db, customerIds, page), (e) => e.customerId),
    ),
  };
}

