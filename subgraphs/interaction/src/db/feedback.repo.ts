import type { Executor } from '@cmp/platform';
import { and, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { feedback, type FeedbackRow, type NewFeedback } from './feedback.schema.ts';

export type FeedbackKind = FeedbackRow['kind'];

export async function insertFeedback(db: Executor, values: NewFeedback): Promise<FeedbackRow> {
  const [row] = await db.insert(feedback).values(values).returning();
  return row!;
}

export function findFeedbackByIds(db: Executor, ids: readonly string[]): Promise<FeedbackRow[]> {
  return db.select().from(feedback).where(inArray(feedback.id, [...ids]));
}

/**
 * Approves or rejects a testimonial still pending: a single conditional update, so of many concurrent decisions
 * exactly one changes the row and the others get null.
 */
export async function decidePendingTestimonial(
  db: Executor,
  id: string,
  decision: { status: 'APPROVED' | 'REJECTED'; decidedBy: string; decidedAt: Date; rejectionReason: string | null },
): Promise<FeedbackRow | null> {
  const [row] = await db
    .update(feedback)
    .set(decision)
    .where(and(eq(feedback.id, id), eq(feedback.kind, 'TESTIMONIAL'), eq(feedback.status, 'PENDING_APPROVAL')))
    .returning();
  return row ?? null;
}

/** Records the withdrawal of consent once; null when it was withdrawn already (or never given). */
export async function withdrawConsent(db: Executor, id: string, at: Date): Promise<FeedbackRow | null> {
  const [row] = await db
    .update(feedback)
    .set({ consentWithdrawnAt: at })
    .where(and(eq(feedback.id, id), eq(feedback.consentToPublish, true), isNull(feedback.consentWithdrawnAt)))
    .returning();
  return row ?? null;
}

export interface KeysetPage {
  limit: number;
  after: { at: Date; id: string } | null;
}

/** Approved testimonials whose consent stands, newest approval first. */
export function findPublicTestimonials(db: Executor, page: KeysetPage): Promise<FeedbackRow[]> {
  return db
    .select()
    .from(feedback)
    .where(
      and(
        eq(feedback.status, 'APPROVED'),
        eq(feedback.consentToPublish, true),
        isNull(feedback.consentWithdrawnAt),
        page.after ? sql`(${feedback.decidedAt}, ${feedback.id}) < (${page.after.at.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(desc(feedback.decidedAt), desc(feedback.id))
    .limit(page.limit + 1);
}

export interface FeedbackPage extends KeysetPage {
  kinds: readonly FeedbackKind[] | null;
}

/** Each customer's newest feedback, up to `limit + 1` per customer, in one query for all of them. */
export async function findFeedbackPages(db: Executor, customerIds: readonly string[], page: FeedbackPage): Promise<FeedbackRow[]> {
  const ranked = db
    .select({
      id: feedback.id,
      rank: sql<number>`row_number() over (partition by ${feedback.customerId} order by ${feedback.submittedAt} desc, ${feedback.id} desc)`.as('rank'),
    })
    .from(feedback)
    .where(
      and(
        inArray(feedback.customerId, [...customerIds]),
        page.kinds ? inArray(feedback.kind, [...page.kinds]) : undefined,
        page.after ? sql`(${feedback.submittedAt}, ${feedback.id}) < (${page.after.at.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .as('ranked');
  const rows = await db
    .select({ row: feedback })
    .from(feedback)
    .innerJoin(ranked, eq(ranked.id, feedback.id))
    .where(lte(ranked.rank, page.limit + 1))
    .orderBy(desc(feedback.submittedAt), desc(feedback.id));
  return rows.map((r) => r.row);
}
