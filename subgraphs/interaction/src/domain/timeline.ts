import { randomUUID } from 'node:crypto';
import { decodeCursor, normaliseFilter, recordEventPerRowOf, requirePageSize, type EventContext, type Executor } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { outbox, type NewTimelineEntry } from '../db/schema.ts';
import { markInsightsStale } from '../db/analysis.repo.ts';
import { insertTimelineEntry, type TimelinePage } from '../db/timeline.repo.ts';
import type { TimelineEntryType } from './types.ts';

export const MAX_PAGE_SIZE = 100;

export function timelinePage(
  first: number | null | undefined,
  after: string | null | undefined,
  types: readonly TimelineEntryType[] | null | undefined,
): TimelinePage {
  const cursor = after ? decodeCursor('after', after) : null;
  return {
    limit: requirePageSize('first', first, 20, MAX_PAGE_SIZE),
    after: cursor ? { occurredAt: cursor.at, id: cursor.id } : null,
    types: normaliseFilter(types),
  };
}

export const TIMELINE_ENTRY_ADDED = 'cmp.interaction.TimelineEntryAdded';

/**
 * Puts an entry on a customer's timeline, announces it (the gateway's `customerTimeline` subscription listens for
 * the announcement) and marks the customer's insights stale, in one statement: the projection of a stream of
 * events costs one round trip each. An event already applied adds and announces nothing (the insights mark is
 * harmless twice).
 */
export async function addTimelineEntry(db: Executor, events: EventContext, entry: NewTimelineEntry): Promise<void> {
  const entryId = entry.id ?? randomUUID();
  const occurredAt = entry.occurredAt.toISOString();
  const announce = recordEventPerRowOf(outbox, 'entry', events, {
    type: TIMELINE_ENTRY_ADDED,
    aggregateType: 'TimelineEntry',
    aggregateId: entryId,
    customerId: entry.customerId,
    data: { entryId, customerId: entry.customerId, type: entry.type, occurredAt, actor: entry.actor ?? 'system' },
  });
  await db.execute(sql`
    with entry as (${insertTimelineEntry(db, { ...entry, id: entryId }).getSQL()}),
         announced as (${announce}),
         insights as (${markInsightsStale(db, entry.customerId).getSQL()})
    select id from entry`);
}
