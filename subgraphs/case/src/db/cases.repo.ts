import type { Executor } from '@cmp/platform';
import { and, asc, desc, inArray, sql } from 'drizzle-orm';
import type { CaseStatus } from '../domain/rules.ts';
import { caseHistory, caseNumberCounters, cases, type CaseHistoryRow, type CaseRow } from './schema.ts';

/** The day's next number in one atomic statement, so concurrent openings never share one. */
export async function nextCaseSequence(db: Executor, day: string): Promise<number> {
  const [row] = await db
    .insert(caseNumberCounters)
    .values({ day, last: 1 })
    .onConflictDoUpdate({ target: caseNumberCounters.day, set: { last: sql`${caseNumberCounters.last} + 1` } })
    .returning({ last: caseNumberCounters.last });
  return row!.last;
}

export async function insertCase(db: Executor, values: typeof cases.$inferInsert): Promise<CaseRow> {
  const [row] = await db.insert(cases).values(values).returning();
  return row!;
}

export async function insertHistory(db: Executor, values: typeof caseHistory.$inferInsert): Promise<CaseHistoryRow> {
  const [row] = await db.insert(caseHistory).values(values).returning();
  return row!;
}

export function findCasesByIds(db: Executor, ids: readonly string[]): Promise<CaseRow[]> {
  return db.select().from(cases).where(inArray(cases.id, [...ids]));
}

/** Newest first; `statuses` narrows when given. */
export function findCasesOfCustomers(db: Executor, customerIds: readonly string[], statuses: readonly CaseStatus[] | null): Promise<CaseRow[]> {
  return db
    .select()
    .from(cases)
    .where(and(inArray(cases.customerId, [...customerIds]), statuses ? inArray(cases.status, [...statuses]) : undefined))
    .orderBy(desc(cases.createdAt), desc(cases.id));
}

export function findHistory(db: Executor, caseIds: readonly string[]): Promise<CaseHistoryRow[]> {
  return db.select().from(caseHistory).where(inArray(caseHistory.caseId, [...caseIds])).orderBy(asc(caseHistory.at), asc(caseHistory.id));
}
