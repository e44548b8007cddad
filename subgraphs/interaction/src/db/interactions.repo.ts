import type { Executor } from '@cmp/platform';
import { and, desc, getTableColumns, gte, inArray, lte, sql } from 'drizzle-orm';
import type { Channel } from '../domain/types.ts';
import { interactions, type InteractionRow } from './schema.ts';

export async function insertInteraction(db: Executor, values: typeof interactions.$inferInsert): Promise<InteractionRow> {
  const [row] = await db.insert(interactions).values(values).returning();
  return row!;
}

export function findInteractionsByIds(db: Executor, ids: readonly string[]): Promise<InteractionRow[]> {
  return db.select().from(interactions).where(inArray(interactions.id, [...ids]));
}

export interface InteractionPage {
  /** Interactions to return per customer (the query fetches one more to know whether a next page exists). */
  limit: number;
  after: { occurredAt: Date; id: string } | null;
  channels: readonly Channel[] | null;
  /** Inclusive bounds on occurredAt. */
  from: Date | null;
  to: Date | null;
}

/** Each customer's newest interactions, up to `limit + 1` per customer, in one query for all of them. */
export async function findInteractionPages(db: Executor, customerIds: readonly string[], page: InteractionPage): Promise<InteractionRow[]> {
  const t = interactions;
  const ranked = db
    .select({
      ...getTableColumns(t),
      // `nulls last` as in interactions_customer_idx, so Postgres can read the index in order instead of sorting.
      rank: sql<number>`row_number() over (partition by ${t.customerId} order by ${t.occurredAt} desc nulls last, ${t.id} desc nulls last)`.as('rank'),
    })
    .from(t)
    .where(
      and(
        inArray(t.customerId, [...customerIds]),
        page.channels ? inArray(t.channel, [...page.channels]) : undefined,
        page.from ? gte(t.occurredAt, page.from) : undefined,
        page.to ? lte(t.occurredAt, page.to) : undefined,
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
