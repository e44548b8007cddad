import type { Database, Executor } from '@cmp/platform';
import { findInsightsByCustomers, lockInsights, readInsightFacts, storeInsights, type InsightFacts } from '../db/analysis.repo.ts';
import type { CHURN_RISKS, CustomerInsightsRow, ENGAGEMENT_LEVELS } from '../db/feedback.schema.ts';

export type EngagementLevel = (typeof ENGAGEMENT_LEVELS)[number];
export type ChurnRisk = (typeof CHURN_RISKS)[number];

/**
 * Customer insights by rules over the customer's history in this subgraph (the spec's fallback when no AI service
 * is configured). Windows end at the moment of the refresh. "Engagements" are timeline entries of type
 * COMMUNICATION, FEEDBACK or LOUNGE_VISIT; cases are distinct cases with a timeline entry; analyses are the
 * customer's text analyses (interactions, feedback, case descriptions).
 *
 * Engagement level, first match:
 * | level  | rule                                               |
 * | ------ | -------------------------------------------------- |
 * | HIGH   | >= 3 engagements in 30 days, or >= 8 in 90 days     |
 * | MEDIUM | >= 1 engagement in 30 days, or >= 3 in 90 days      |
 * | LOW    | >= 1 engagement in 90 days                          |
 * | NONE   | none in 90 days                                     |
 *
 * Churn score, the sum of the points below clamped to 0..1 (two decimals); risk HIGH from 0.60, MEDIUM from 0.30:
 * | rule                     | condition (90 days unless said)                                  | points | recommended action |
 * | ------------------------ | ---------------------------------------------------------------- | ------ | ------------------ |
 * | negative voice           | >= half of the analysed texts NEGATIVE (at least one)            | +0.30  | Have a senior agent review the recent negative feedback and answer the customer personally |
 * | some negative voice      | some analysed texts NEGATIVE, fewer than half                    | +0.10  | |
 * | overdue follow-ups       | an open follow-up task past its due time (now)                   | +0.20  | Complete the N overdue follow-up task(s) today |
 * | open follow-ups          | open follow-up tasks, none overdue (now)                         | +0.05  | |
 * | repeated cases           | >= 2 cases                                                       | +0.20  | Review the customer's cases together with one case owner |
 * | one case                 | exactly 1 case                                                   | +0.10  | |
 * | unsatisfied resolution   | a case resolved without the customer satisfied                   | +0.20  | Call the customer about the unsatisfied resolution and offer a service-recovery gesture |
 * | no engagement            | engagement NONE                                                  | +0.20  | Re-engage the customer with a personalised offer |
 * | low engagement           | engagement LOW                                                   | +0.10  | Re-engage the customer with a personalised offer |
 * | positive voice           | >= 2 POSITIVE analysed texts and no NEGATIVE                     | -0.10  | |
 * Then: risk HIGH adds "Escalate to customer affairs for a retention call"; engagement HIGH with risk LOW and a
 * positive voice adds "Invite the customer to share a testimonial"; with no action at all, "Keep the regular contact
 * schedule". Each rule that applied is one of the `reasons`, with its count and points.
 */
export interface Insights {
  engagementLevel: EngagementLevel;
  churnRisk: ChurnRisk;
  churnScore: number;
  recommendedActions: string[];
  reasons: string[];
}

export const HIGH_RISK_FROM = 0.6;
export const MEDIUM_RISK_FROM = 0.3;
/** How old stored insights may be before a read recomputes them (recency windows and overdue tasks move with time). */
export const INSIGHTS_MAX_AGE_MS = 60 * 60_000;

export function engagementLevelOf(f: Pick<InsightFacts, 'engagements30' | 'engagements90'>): EngagementLevel {
  if (f.engagements30 >= 3 || f.engagements90 >= 8) return 'HIGH';
  if (f.engagements30 >= 1 || f.engagements90 >= 3) return 'MEDIUM';
  if (f.engagements90 >= 1) return 'LOW';
  return 'NONE';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const points = (p: number) => `${p > 0 ? '+' : '-'}${Math.abs(p).toFixed(2)}`;

export function insightsFrom(f: InsightFacts): Insights {
  const engagementLevel = engagementLevelOf(f);
  const reasons: string[] = [];
  const actions: string[] = [];
  let score = 0;
  const apply = (p: number, reason: string, action?: string) => {
    score += p;
    reasons.push(`${reason} (${points(p)})`);
    if (action && !actions.includes(action)) actions.push(action);
  };

  if (f.negative90 > 0 && f.negative90 * 2 >= f.analyses90) {
    apply(0.3, `${f.negative90} of ${plural(f.analyses90, 'analysed text')} negative in 90 days`, 'Have a senior agent review the recent negative feedback and answer the customer personally');
  } else if (f.negative90 > 0) {
    apply(0.1, `${f.negative90} of ${plural(f.analyses90, 'analysed text')} negative in 90 days`);
  }
  if (f.overdueTasks > 0) {
    apply(0.2, `${plural(f.overdueTasks, 'overdue follow-up task')}`, `Complete the ${plural(f.overdueTasks, 'overdue follow-up task')} today`);
  } else if (f.openTasks > 0) {
    apply(0.05, `${plural(f.openTasks, 'open follow-up task')}, none overdue`);
  }
  if (f.cases90 >= 2) apply(0.2, `${plural(f.cases90, 'case')} in 90 days`, "Review the customer's cases together with one case owner");
  else if (f.cases90 === 1) apply(0.1, '1 case in 90 days');
  if (f.unsatisfiedResolutions90 > 0) {
    apply(
      0.2,
      `${plural(f.unsatisfiedResolutions90, 'case')} resolved without the customer satisfied in 90 days`,
      'Call the customer about the unsatisfied resolution and offer a service-recovery gesture',
    );
  }
  if (engagementLevel === 'NONE') apply(0.2, 'no communication, feedback or lounge visit in 90 days', 'Re-engage the customer with a personalised offer');
  if (engagementLevel === 'LOW') apply(0.1, `only ${plural(f.engagements90, 'engagement')} in 90 days, none in 30`, 'Re-engage the customer with a personalised offer');
  const positiveVoice = f.positive90 >= 2 && f.negative90 === 0;
  if (positiveVoice) apply(-0.1, `${f.positive90} positive analysed texts in 90 days and none negative`);

  const churnScore = Math.round(Math.min(1, Math.max(0, score)) * 100) / 100;
  const churnRisk: ChurnRisk = churnScore >= HIGH_RISK_FROM ? 'HIGH' : churnScore >= MEDIUM_RISK_FROM ? 'MEDIUM' : 'LOW';
  if (churnRisk === 'HIGH') actions.push('Escalate to customer affairs for a retention call');
  if (engagementLevel === 'HIGH' && churnRisk === 'LOW' && positiveVoice) actions.push('Invite the customer to share a testimonial');
  if (!actions.length) actions.push('Keep the regular contact schedule');
  return { engagementLevel, churnRisk, churnScore, recommendedActions: actions, reasons };
}

export async function computeInsights(db: Executor, customerId: string, now: Date): Promise<{ insights: Insights; facts: InsightFacts }> {
  const facts = await readInsightFacts(db, customerId, now);
  return { insights: insightsFrom(facts), facts };
}

/**
 * Recomputes and stores a customer's insights, inside the caller's transaction: the row is locked first, so a
 * writer marking it stale either waits for this refresh (and marks the fresh row stale after) or this refresh waits
 * for the writer and counts its change.
 */
export async function refreshInsights(tx: Executor, customerId: string, now = new Date()): Promise<CustomerInsightsRow> {
  await lockInsights(tx, customerId);
  const { insights, facts } = await computeInsights(tx, customerId, now);
  return storeInsights(tx, { customerId, ...insights, facts: { ...facts }, refreshedAt: now });
}

/**
 * Stored insights of each customer, recomputed (and stored) when there are none yet, when something they count
 * changed since (stale), or when they are older than an hour (a follow-up task falls overdue with no event at all).
 */
export async function insightsOfCustomers(db: Database, customerIds: readonly string[], now = new Date()): Promise<CustomerInsightsRow[]> {
  const stored = new Map((await findInsightsByCustomers(db, customerIds)).map((row) => [row.customerId, row]));
  return Promise.all(
    customerIds.map(async (id) => {
      const row = stored.get(id);
      if (row && !row.stale && now.getTime() - row.refreshedAt.getTime() < INSIGHTS_MAX_AGE_MS) return row;
      return db.transaction((tx) => refreshInsights(tx, id, now));
    }),
  );
}
