import { resultRows, type Executor } from '@cmp/platform';
import { and, desc, eq, gte, inArray, sql, type Placeholder } from 'drizzle-orm';
import { customerInsights, textAnalyses, type CustomerInsightsRow, type TextAnalysisRow } from './feedback.schema.ts';
import { followUpTasks, timelineEntries } from './schema.ts';

export async function findAnalysisBySubject(db: Executor, subjectType: string, subjectId: string): Promise<TextAnalysisRow | null> {
  const [row] = await db
    .select()
    .from(textAnalyses)
    .where(and(eq(textAnalyses.subjectType, subjectType), eq(textAnalyses.subjectId, subjectId)));
  return row ?? null;
}

/** Inserts the subject's analysis unless it has one already (then null). */
export async function insertAnalysis(db: Executor, values: typeof textAnalyses.$inferInsert): Promise<TextAnalysisRow | null> {
  const [row] = await db.insert(textAnalyses).values(values).onConflictDoNothing({ target: [textAnalyses.subjectType, textAnalyses.subjectId] }).returning();
  return row ?? null;
}

export function findAnalysesBySubjects(db: Executor, subjectType: string, subjectIds: readonly string[]): Promise<TextAnalysisRow[]> {
  return db
    .select()
    .from(textAnalyses)
    .where(and(eq(textAnalyses.subjectType, subjectType), inArray(textAnalyses.subjectId, [...subjectIds])));
}

/** The customers' analyses, newest first, optionally of one label; at most `limit` per customer. */
export async function findAnalysesOfCustomers(
  db: Executor,
  customerIds: readonly string[],
  filter: { label: TextAnalysisRow['label'] | null; limit: number },
): Promise<TextAnalysisRow[]> {
  const ranked = db
    .select({
      id: textAnalyses.id,
      rank: sql<number>`row_number() over (partition by ${textAnalyses.customerId} order by ${textAnalyses.analysedAt} desc, ${textAnalyses.id} desc)`.as('rank'),
    })
    .from(textAnalyses)
    .where(and(inArray(textAnalyses.customerId, [...customerIds]), filter.label ? eq(textAnalyses.label, filter.label) : undefined))
    .as('ranked');
  return db
    .select({ analysis: textAnalyses })
    .from(textAnalyses)
    .innerJoin(ranked, eq(ranked.id, textAnalyses.id))
    .where(sql`${ranked.rank} <= ${filter.limit}`)
    .orderBy(desc(textAnalyses.analysedAt), desc(textAnalyses.id))
    .then((rows) => rows.map((r) => r.analysis));
}

/** The counts the insight rules read (see domain/insights.ts). */
export interface InsightFacts {
  engagements30: number;
  engagements90: number;
  loungeVisits90: number;
  cases90: number;
  analyses90: number;
  negative90: number;
  positive90: number;
  openTasks: number;
  overdueTasks: number;
  unsatisfiedResolutions90: number;
}

/** A time as a query parameter both drivers accept inside raw SQL. */
const at = (time: Date) => sql`${time.toISOString()}::timestamptz`;
const count = (condition: ReturnType<typeof sql>) => sql<number>`cast(count(*) filter (where ${condition}) as int)`;

/** Everything the insight rules count, in one statement (one round trip rather than one per table). */
export async function readInsightFacts(db: Executor, customerId: string, now: Date): Promise<InsightFacts> {
  const day = 24 * 3_600_000;
  const since30 = at(new Date(now.getTime() - 30 * day));
  const since90 = at(new Date(now.getTime() - 90 * day));
  const engagement = sql`${timelineEntries.type} in ('COMMUNICATION', 'FEEDBACK', 'LOUNGE_VISIT')`;
  const [facts] = resultRows<InsightFacts>(
    await db.execute(sql`
      select timeline.*, analyses.*, tasks.*
      from (select ${count(sql`${engagement} and ${timelineEntries.occurredAt} >= ${since30}`)} as "engagements30",
                   ${count(engagement)} as "engagements90",
                   ${count(sql`${timelineEntries.type} = 'LOUNGE_VISIT'`)} as "loungeVisits90",
                   cast(count(distinct ${timelineEntries.sourceId}) filter (where ${timelineEntries.type} = 'CASE') as int) as "cases90"
            from ${timelineEntries} where ${timelineEntries.customerId} = ${customerId} and ${timelineEntries.occurredAt} >= ${since90}) timeline,
           (select cast(count(*) as int) as "analyses90",
                   ${count(sql`${textAnalyses.label} = 'NEGATIVE'`)} as "negative90",
                   ${count(sql`${textAnalyses.label} = 'POSITIVE'`)} as "positive90"
            from ${textAnalyses} where ${textAnalyses.customerId} = ${customerId} and ${textAnalyses.analysedAt} >= ${since90}) analyses,
           (select ${count(sql`${followUpTasks.status} = 'OPEN'`)} as "openTasks",
                   ${count(sql`${followUpTasks.status} = 'OPEN' and ${followUpTasks.dueAt} < ${at(now)}`)} as "overdueTasks",
                   -- A task opened from a case event is the follow-up of a resolution the customer was not satisfied with.
                   ${count(sql`${followUpTasks.sourceType} = 'Case' and ${followUpTasks.sourceEventId} is not null and ${followUpTasks.createdAt} >= ${since90}`)}
                     as "unsatisfiedResolutions90"
            from ${followUpTasks} where ${followUpTasks.customerId} = ${customerId}) tasks`),
  );
  return facts!;
}

/** What a customer's row holds until it is first computed: stale, so any read computes it. */
function placeholderInsights<C extends string | Placeholder>(customerId: C): Omit<CustomerInsightsRow, 'customerId'> & { customerId: C } {
  return { customerId, engagementLevel: 'NONE', churnRisk: 'LOW', churnScore: 0, recommendedActions: [], reasons: [], facts: {}, refreshedAt: new Date(0), stale: true };
}

/**
 * Marks a customer's insights stale (a row for a customer with none yet is a stale placeholder), as one statement to
 * run, or to put in the statement that changes what the insights count. It takes the row's lock until the writer
 * commits, so a refresh (which locks the row first) never stores a count from before the change as current.
 */
export function markInsightsStale(db: Executor, customerId: string | Placeholder) {
  return db
    .insert(customerInsights)
    .values(placeholderInsights(customerId))
    .onConflictDoUpdate({ target: customerInsights.customerId, set: { stale: true } });
}

/** Takes the lock on a customer's insights row (creating the placeholder first), for a refresh inside a transaction. */
export async function lockInsights(tx: Executor, customerId: string): Promise<void> {
  await tx.insert(customerInsights).values(placeholderInsights(customerId)).onConflictDoNothing({ target: customerInsights.customerId });
  await tx.select({ customerId: customerInsights.customerId }).from(customerInsights).where(eq(customerInsights.customerId, customerId)).for('update');
}

/** Stores freshly computed insights; the caller holds the row's lock (`lockInsights`). */
export async function storeInsights(db: Executor, values: Omit<CustomerInsightsRow, 'stale'>): Promise<CustomerInsightsRow> {
  const row = { ...values, stale: false };
  const { customerId: _key, ...changes } = row;
  const [stored] = await db.insert(customerInsights).values(row).onConflictDoUpdate({ target: customerInsights.customerId, set: changes }).returning();
  return stored ?? row;
}

export function findInsightsByCustomers(db: Executor, customerIds: readonly string[]): Promise<CustomerInsightsRow[]> {
  return db.select().from(customerInsights).where(inArray(customerInsights.customerId, [...customerIds]));
}
