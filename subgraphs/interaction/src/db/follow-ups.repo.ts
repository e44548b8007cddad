import type { Executor } from '@cmp/platform';
import { and, asc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { followUpTasks, type FollowUpTaskRow } from './schema.ts';

export type NewFollowUpTask = typeof followUpTasks.$inferInsert;

export async function insertFollowUpTask(db: Executor, values: NewFollowUpTask): Promise<FollowUpTaskRow> {
  const [row] = await db.insert(followUpTasks).values(values).returning();
  return row!;
}

/** The task, locked for the rest of the transaction when `forUpdate`: changes of one task run one after another. */
export async function findFollowUpTask(db: Executor, id: string, { forUpdate = false } = {}): Promise<FollowUpTaskRow | null> {
  const query = db.select().from(followUpTasks).where(eq(followUpTasks.id, id));
  const [row] = await (forUpdate ? query.for('update') : query);
  return row ?? null;
}

export async function updateFollowUpTask(db: Executor, id: string, changes: Partial<NewFollowUpTask>): Promise<FollowUpTaskRow> {
  const [row] = await db.update(followUpTasks).set(changes).where(eq(followUpTasks.id, id)).returning();
  return row!;
}

export function findFollowUpTasksOfCustomers(db: Executor, customerIds: readonly string[], includeDone: boolean): Promise<FollowUpTaskRow[]> {
  return db
    .select()
    .from(followUpTasks)
    .where(and(inArray(followUpTasks.customerId, [...customerIds]), includeDone ? undefined : eq(followUpTasks.status, 'OPEN')))
    .orderBy(asc(followUpTasks.dueAt), asc(followUpTasks.id));
}

export interface FollowUpTaskQuery {
  /** One agent's tasks. */
  assignee: string | null;
  /** true: the shared queue only; false: assigned tasks only; null: both. */
  queue: boolean | null;
  status: 'OPEN' | 'DONE';
  /** Open tasks due before this instant only. */
  dueBefore: Date | null;
  limit: number;
  /** Keyset position in (due_at asc, id asc). */
  after: { dueAt: Date; id: string } | null;
}

/** A work list, soonest due first, `limit + 1` rows to tell whether more follow. */
export function findFollowUpTasks(db: Executor, q: FollowUpTaskQuery): Promise<FollowUpTaskRow[]> {
  const t = followUpTasks;
  return db
    .select()
    .from(t)
    .where(
      and(
        eq(t.status, q.status),
        q.assignee !== null ? eq(t.assignee, q.assignee) : undefined,
        q.queue === true ? isNull(t.assignee) : q.queue === false ? isNotNull(t.assignee) : undefined,
        q.dueBefore ? lt(t.dueAt, q.dueBefore) : undefined,
        q.after ? sql`(${t.dueAt}, ${t.id}) > (${q.after.dueAt.toISOString()}::timestamptz, ${q.after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(t.dueAt), asc(t.id))
    .limit(q.limit + 1);
}
