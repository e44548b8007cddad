import { randomUUID } from 'node:crypto';
import {
  decodeCursor,
  normaliseFilter,
  preparedStatement,
  recordEventPerRowOfPlaceholders,
  requirePageSize,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { erasedCustomers, outbox, timelineEntries, type NewTimelineEntry } from '../db/schema.ts';
import { markInsightsStale } from '../db/analysis.repo.ts';
import type { TimelinePage } from '../db/timeline.repo.ts';
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
 * events costs one round trip each, and the statement is rendered once for the process, not per event. An event
 * already applied adds and announces nothing (the insights mark is harmless twice), nor does an event about a
 * customer erased here (one still in flight when the erasure ran), so no new personal text lands on its timeline.
 */
const addEntryStatement = preparedStatement('interaction_add_timeline_entry', (db) => {
  const p = sql.placeholder;
  const columns = [
    timelineEntries.id, timelineEntries.customerId, timelineEntries.occurredAt, timelineEntries.type, timelineEntries.summary,
    timelineEntries.sourceType, timelineEntries.sourceId, timelineEntries.eventId, timelineEntries.actor,
  ];
  return sql`
    with entry as (
           insert into ${timelineEntries} (${sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `)})
           select ${p('entryId')}::uuid, ${p('customerId')}::uuid, ${p('occurredAt')}::timestamptz, ${p('entryType')}, ${p('summary')},
                  ${p('sourceType')}, ${p('sourceId')}, ${p('sourceEventId')}::uuid, ${p('actor')}
           where not exists (select 1 from ${erasedCustomers} where ${erasedCustomers.customerId} = ${p('customerId')}::uuid)
           on conflict (${sql.identifier(timelineEntries.eventId.name)}) do nothing
           returning ${sql.identifier(timelineEntries.id.name)}),
         announced as (${recordEventPerRowOfPlaceholders(outbox, 'entry')}),
         insights as (${markInsightsStale(db, p('customerId')).getSQL()})
    select id from entry`;
});

export async function addTimelineEntry(db: Executor, events: EventContext, entry: NewTimelineEntry): Promise<void> {
  const entryId = entry.id ?? randomUUID();
  const actor = entry.actor ?? 'system';
  await addEntryStatement.execute(db, {
    entryId,
    customerId: entry.customerId,
    occurredAt: entry.occurredAt.toISOString(),
    entryType: entry.type,
    summary: entry.summary,
    sourceType: entry.sourceType,
    sourceId: entry.sourceId,
    sourceEventId: entry.eventId ?? null,
    actor,
    // The announcement: the outbox row's columns.
    eventId: randomUUID(),
    type: TIMELINE_ENTRY_ADDED,
    source: events.source,
    aggregateType: 'TimelineEntry',
    aggregateId: entryId,
    data: JSON.stringify({ entryId, customerId: entry.customerId, type: entry.type, occurredAt: entry.occurredAt.toISOString(), actor }),
    traceparent: events.traceparent ?? null,
  });
}
