import type { Executor } from '@cmp/platform';
import { and, desc, getTableColumns, inArray, lte, sql } from 'drizzle-orm';
import type { TimelineEntryType } from '../domain/types.ts';
import { timelineEntries, type NewTimelineEntry, type TimelineEntryRow } from './schema.ts';

/** Inserts an entry; an entry projected from an event already applied is skipped. Returns the new entry's id, or null. */
export async function insertTimelineEntry(db: Executor, entry: NewTimelineEntry): Promise<string | null> {
  const inserted = await db
    .insert(timelineEntries)
    .values(entry)
    .onConflictDoNothing({ target: timelineEntries.eventId })
    .returning({ id: timelineEntries.id });
  return inserted[0]?.id ?? null;
}

export function findTimelineEntriesByIds(db: Executor, ids: readonly string[]): Promise<TimelineEntryRow[]> {
  return db.select().from(timelineEntries).where(inArray(timelineEntries.id, [...ids]));
}

export interface TimelinePage {
  /** Entries to return per customer (the query fetches one more to know whether a next page exists). */
  limit: number;
  after: { occurredAt: Date; id: string } | null;
  types: readonly TimelineEntryType[] | null;
}

/** Each customer's newest entries, up to `limit + 1` per customer, in one query for all of them. */
export async function findTimelinePages(db: Executor, customerIds: readonly string[], page: TimelinePage): Promise<TimelineEntryRow[]> {
  const t = timelineEntries;
  const ranked = db
    .select({
      ...getTableColumns(t),
      rank: sql<number>`row_number() over (partition by ${t.customerId} order by ${t.occurredAt} desc, ${t.id} desc)`.as('rank'),
    })
    .from(t)
    .where(
      and(
        inArray(t.customerId, [...customerIds]),
        page.types ? inArray(t.type, [...page.types]) : undefined,
        page.after ? sql`(${t.occurredAt}, ${t.id}) < (${page.after.occurredAt.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .as('ranked');
  const rows = await db
    .select()
    .from(ranked)
    .where(lte(ranked.rank, page.limit + 1))
    .orderBy(desc(ranked.occurredAt), desc(ranked.id));
  return rows.map(({ rank: _rank, ...row }) => ({ ...row, occurredAt: new Date(row.occurredAt), createdAt: new Date(row.createdAt) }));
}
