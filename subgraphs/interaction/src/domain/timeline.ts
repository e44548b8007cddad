import { decodeCursor, normaliseFilter, recordEvent, requirePageSize, type EventContext, type Executor } from '@cmp/platform';
import { outbox, type NewTimelineEntry } from '../db/schema.ts';
import { refreshInsights } from './insights.ts';
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
 * Puts an entry on a customer's timeline and announces it in the same transaction (the gateway's
 * `customerTimeline` subscription listens for the announcement). An entry for an event already applied changes
 * nothing and announces nothing.
 */
export async function addTimelineEntry(tx: Executor, events: EventContext, entry: NewTimelineEntry): Promise<void> {
  const entryId = await insertTimelineEntry(tx, entry);
  if (!entryId) return;
  await recordEvent(tx, outbox, events, {
    type: TIMELINE_ENTRY_ADDED,
    aggregateType: 'TimelineEntry',
    aggregateId: entryId,
    customerId: entry.customerId,
    data: { entryId, customerId: entry.customerId, type: entry.type, occurredAt: entry.occurredAt.toISOString(), actor: entry.actor ?? 'system' },
  });
  await refreshInsights(tx, entry.customerId);
}
