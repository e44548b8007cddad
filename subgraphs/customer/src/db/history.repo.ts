import type { Executor } from '@cmp/platform';
import { and, getTableColumns, inArray, sql } from 'drizzle-orm';
import { customerHistory, type CustomerHistoryRow } from './schema.ts';

export type NewHistoryEntry = typeof customerHistory.$inferInsert;
export type HistoryAttribute = NewHistoryEntry['attribute'];

export async function recordHistory(db: Executor, entries: NewHistoryEntry | NewHistoryEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length) await db.insert(customerHistory).values(list);
}

/** The latest `limit` entries of each customer, optionally of some attributes only: one query for all of them. */
export async function findHistory(
  db: Executor,
  customerIds: readonly string[],
  attributes: readonly HistoryAttribute[] | null,
  limit: number,
): Promise<CustomerHistoryRow[]> {
  if (customerIds.length === 0) return [];
  const ranked = db
    .select({
      ...getTableColumns(customerHistory),
      rank: sql<number>`row_number() over (partition by ${customerHistory.customerId} order by ${customerHistory.at} desc, ${customerHistory.id} desc)`.as('rank'),
    })
    .from(customerHistory)
    .where(
      and(
        inArray(customerHistory.customerId, [...customerIds]),
        attributes?.length ? inArray(customerHistory.attribute, [...attributes]) : undefined,
      ),
    )
    .as('ranked');
  const rows = await db.select().from(ranked).where(sql`${ranked.rank} <= ${limit}`);
  return rows.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
}
