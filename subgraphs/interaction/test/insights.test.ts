import type { CloudEvent } from '@cmp/platform';
import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InsightFacts } from '../src/db/analysis.repo.ts';
import { customerInsights } from '../src/db/feedback.schema.ts';
import { followUpTasks } from '../src/db/schema.ts';
import { insightsFrom } from '../src/domain/insights.ts';
import { caseAnalysisConsumer } from '../src/events/case-analysis-consumer.ts';
import { followUpConsumer } from '../src/events/follow-up-consumer.ts';
import { timelineConsumer } from '../src/events/timeline-consumer.ts';
import { addTimelineEntry } from '../src/domain/timeline.ts';
import { interactionSubgraph } from '../src/index.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

const none: InsightFacts = {
  engagements30: 0,
  engagements90: 0,
  loungeVisits90: 0,
  cases90: 0,
  analyses90: 0,
  negative90: 0,
  positive90: 0,
  openTasks: 0,
  overdueTasks: 0,
  unsatisfiedResolutions90: 0,
};
const engaged = { engagements30: 1 };
const RE_ENGAGE = 'Re-engage the customer with a personalised offer';
const KEEP = 'Keep the regular contact schedule';

describe('the insight rules', () => {
  it.each([
    [{ engagements30: 3 }, 'HIGH'],
    [{ engagements30: 0, engagements90: 8 }, 'HIGH'],
    [{ engagements30: 2, engagements90: 7 }, 'MEDIUM'],
    [{ engagements30: 1, engagements90: 1 }, 'MEDIUM'],
    [{ engagements30: 0, engagements90: 3 }, 'MEDIUM'],
    [{ engagements30: 0, engagements90: 2 }, 'LOW'],
    [{ engagements30: 0, engagements90: 0 }, 'NONE'],
  ] as const)('grades engagement %o as %s', (facts, level) => {
    expect(insightsFrom({ ...none, ...facts }).engagementLevel).toBe(level);
  });

  it.each([
    ['no engagement', {}, 0.2, 'LOW', [RE_ENGAGE], ['no communication, feedback or lounge visit in 90 days (+0.20)']],
    ['low engagement', { engagements90: 2 }, 0.1, 'LOW', [RE_ENGAGE], ['only 2 engagements in 90 days, none in 30 (+0.10)']],
    ['nothing to note', engaged, 0, 'LOW', [KEEP], []],
    [
      'negative voice',
      { ...engaged, analyses90: 4, negative90: 2 },
      0.3,
      'MEDIUM',
      ['Have a senior agent review the recent negative feedback and answer the customer personally'],
      ['2 of 4 analysed texts negative in 90 days (+0.30)'],
    ],
    ['some negative voice', { ...engaged, analyses90: 5, negative90: 2 }, 0.1, 'LOW', [KEEP], ['2 of 5 analysed texts negative in 90 days (+0.10)']],
    ['overdue follow-ups', { ...engaged, openTasks: 3, overdueTasks: 2 }, 0.2, 'LOW', ['Complete the 2 overdue follow-up tasks today'], ['2 overdue follow-up tasks (+0.20)']],
    ['open follow-ups', { ...engaged, openTasks: 1 }, 0.05, 'LOW', [KEEP], ['1 open follow-up task, none overdue (+0.05)']],
    ['repeated cases', { ...engaged, cases90: 2 }, 0.2, 'LOW', ["Review the customer's cases together with one case owner"], ['2 cases in 90 days (+0.20)']],
    ['one case', { ...engaged, cases90: 1 }, 0.1, 'LOW', [KEEP], ['1 case in 90 days (+0.10)']],
    [
      'unsatisfied resolution',
      { ...engaged, unsatisfiedResolutions90: 1 },
      0.2,
      'LOW',
      ['Call the customer about the unsatisfied resolution and offer a service-recovery gesture'],
      ['1 case resolved without the customer satisfied in 90 days (+0.20)'],
    ],
    ['positive voice', { ...engaged, analyses90: 2, positive90: 2 }, 0, 'LOW', [KEEP], ['2 positive analysed texts in 90 days and none negative (-0.10)']],
  ] as const)('scores %s exactly', (_name, facts, score, risk, actions, reasons) => {
    expect(insightsFrom({ ...none, ...facts })).toEqual({
      engagementLevel: expect.any(String),
      churnScore: score,
      churnRisk: risk,
      recommendedActions: actions,
      reasons,
    });
  });

  it('adds the points up to at most 1, HIGH from 0.60 with a retention call', () => {
    const worst = insightsFrom({ ...none, analyses90: 3, negative90: 3, openTasks: 1, overdueTasks: 1, cases90: 3, unsatisfiedResolutions90: 1 });
    expect(worst).toMatchObject({ engagementLevel: 'NONE', churnScore: 1, churnRisk: 'HIGH' });
    expect(worst.recommendedActions.at(-1)).toBe('Escalate to customer affairs for a retention call');
    // 0.30 + 0.20 + 0.10 = 0.60: the threshold itself is HIGH; 0.55 is MEDIUM
    expect(insightsFrom({ ...none, ...engaged, analyses90: 1, negative90: 1, overdueTasks: 1, openTasks: 1, cases90: 1 })).toMatchObject({ churnScore: 0.6, churnRisk: 'HIGH' });
    expect(insightsFrom({ ...none, ...engaged, analyses90: 1, negative90: 1, openTasks: 1, cases90: 2 })).toMatchObject({ churnScore: 0.55, churnRisk: 'MEDIUM' });
    expect(insightsFrom({ ...none, ...engaged, cases90: 2, openTasks: 1, analyses90: 9, negative90: 1 })).toMatchObject({ churnScore: 0.35, churnRisk: 'MEDIUM' });
  });

  it('invites an engaged, happy, low-risk customer to leave a testimonial', () => {
    expect(insightsFrom({ ...none, engagements30: 3, engagements90: 3, analyses90: 3, positive90: 3 })).toEqual({
      engagementLevel: 'HIGH',
      churnRisk: 'LOW',
      churnScore: 0,
      recommendedActions: ['Invite the customer to share a testimonial'],
      reasons: ['3 positive analysed texts in 90 days and none negative (-0.10)'],
    });
  });
});

const INSIGHTS = customerEntities('insights { engagementLevel churnRisk churnScore recommendedActions reasons refreshedAt }');
const readInsights = async (customerId: string, caller = callerWith('SupportAgent')) => {
  const result = await h.run(caller, INSIGHTS, { representations: [{ __typename: 'Customer', id: customerId }] });
  expect(result.errors).toBeUndefined();
  return result.data._entities[0].insights as Record<string, unknown>;
};
const stored = async (customerId: string) => (await h.handle.db.select().from(customerInsights).where(eq(customerInsights.customerId, customerId)))[0];
/** As an agent reads them (recounted if something changed since), then as that read stored them. */
const current = async (customerId: string) => {
  await readInsights(customerId);
  return stored(customerId);
};

const DAY = 24 * 3_600_000;
function caseEvent(type: string, customerId: string, caseId: string, data: Record<string, unknown>, at: Date): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type,
    source: 'cmp.case',
    subject: `Case/${caseId}`,
    time: at.toISOString(),
    datacontenttype: 'application/json',
    customerid: customerId,
    data: { caseId, customerId, ...data },
  };
}

/** A complaint as the case subgraph announces it, applied by every consumer of this subgraph that takes it. */
async function complaint(customerId: string, subject: string, description: string, at: Date) {
  const caseId = randomUUID();
  const event = caseEvent('cmp.case.CustomerComplaintReceived', customerId, caseId, { caseNumber: 'COMP-20260301-0001', subject, description, priority: 'HIGH' }, at);
  await caseAnalysisConsumer.handle(h.handle.db, event);
  await timelineConsumer.handle(h.handle.db, event);
  return caseId;
}

async function resolvedUnsatisfied(customerId: string, caseId: string, at: Date) {
  const event = caseEvent(
    'cmp.case.CustomerComplaintResolved',
    customerId,
    caseId,
    { caseNumber: 'COMP-20260301-0001', customerSatisfied: false, followUpRequired: true, resolvedBy: 'agent-ana' },
    at,
  );
  await followUpConsumer.handle(h.handle.db, event);
  await timelineConsumer.handle(h.handle.db, event);
}

const SUBMIT = `mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { id } }`;
async function compliment(customerId: string, content: string) {
  const result = await h.run(callerWith('SupportAgent'), SUBMIT, { input: { customerId, kind: 'COMPLIMENT', content, authorName: 'Elena' } });
  expect(result.errors).toBeUndefined();
}

describe('Customer.insights over the history', () => {
  it('rates a customer with recent negative complaints and an overdue follow-up HIGH risk, with the matching actions', async () => {
    const customerId = randomUUID();
    const now = Date.now();
    const first = await complaint(customerId, 'Lost bag', 'They lost my bag and the staff at the desk were rude. Terrible service.', new Date(now - 10 * DAY));
    await resolvedUnsatisfied(customerId, first, new Date(now - 5 * DAY));
    await complaint(customerId, 'Vuelo cancelado', 'Cancelaron el vuelo sin avisar y el servicio fue pésimo. Muy decepcionado.', new Date(now - 2 * DAY));

    expect(await readInsights(customerId)).toEqual({
      engagementLevel: 'NONE',
      churnRisk: 'HIGH',
      churnScore: 1,
      recommendedActions: [
        'Have a senior agent review the recent negative feedback and answer the customer personally',
        'Complete the 1 overdue follow-up task today',
        "Review the customer's cases together with one case owner",
        'Call the customer about the unsatisfied resolution and offer a service-recovery gesture',
        RE_ENGAGE,
        'Escalate to customer affairs for a retention call',
      ],
      reasons: [
        '2 of 2 analysed texts negative in 90 days (+0.30)',
        '1 overdue follow-up task (+0.20)',
        '2 cases in 90 days (+0.20)',
        '1 case resolved without the customer satisfied in 90 days (+0.20)',
        'no communication, feedback or lounge visit in 90 days (+0.20)',
      ],
      refreshedAt: expect.any(Date),
    });
    expect(await stored(customerId)).toMatchObject({
      churnRisk: 'HIGH',
      facts: { analyses90: 2, negative90: 2, cases90: 2, openTasks: 1, overdueTasks: 1, unsatisfiedResolutions90: 1, engagements90: 0 },
    });
  });

  it('rates an engaged, happy customer LOW and moves to MEDIUM as negative complaints arrive, recounted after each change', async () => {
    const customerId = randomUUID();
    await compliment(customerId, 'The crew was wonderful, thank you!');
    await compliment(customerId, 'El personal fue muy amable y el vuelo excelente, gracias.');
    expect(await current(customerId)).toMatchObject({ engagementLevel: 'MEDIUM', churnRisk: 'LOW', churnScore: 0, stale: false });
    await compliment(customerId, 'Excellent lounge in Madrid, lovely staff.');
    // The write only marked what is stored for recounting; the next read recounts and stores.
    expect(await stored(customerId)).toMatchObject({ stale: true });
    const happy = await current(customerId);
    expect(happy).toMatchObject({
      engagementLevel: 'HIGH',
      churnRisk: 'LOW',
      churnScore: 0,
      recommendedActions: ['Invite the customer to share a testimonial'],
      reasons: ['3 positive analysed texts in 90 days and none negative (-0.10)'],
      stale: false,
    });
    expect(await readInsights(customerId, callerWith('MarketingManager'))).toMatchObject({ engagementLevel: 'HIGH', churnRisk: 'LOW', churnScore: 0 });

    await complaint(customerId, 'Bad seat', 'The seat was broken and the crew were rude about it. Awful.', new Date());
    expect(await current(customerId)).toMatchObject({
      churnRisk: 'LOW',
      churnScore: 0.2,
      reasons: ['1 of 4 analysed texts negative in 90 days (+0.10)', '1 case in 90 days (+0.10)'],
      recommendedActions: [KEEP],
    });
    await complaint(customerId, 'Delay', 'Three hours of delay and nobody helped. Terrible.', new Date());
    const worried = await readInsights(customerId);
    expect(worried).toMatchObject({
      engagementLevel: 'HIGH',
      churnRisk: 'MEDIUM',
      churnScore: 0.3,
      reasons: ['2 of 5 analysed texts negative in 90 days (+0.10)', '2 cases in 90 days (+0.20)'],
      recommendedActions: ["Review the customer's cases together with one case owner"],
    });
    expect((worried.refreshedAt as Date).getTime()).toBeGreaterThan(happy!.refreshedAt.getTime());
  });

  it('counts a logged communication on the next read through the timeline', async () => {
    const customerId = randomUUID();
    const log = await h.run(callerWith('SupportAgent'), `mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }`, {
      input: { customerId, channel: 'NOTE', direction: 'OUTBOUND', summary: 'Called to confirm the new seat' },
    });
    expect(log.errors).toBeUndefined();
    expect(await current(customerId)).toMatchObject({ engagementLevel: 'MEDIUM', churnScore: 0, facts: { engagements30: 1, engagements90: 1 } });
  });

  it('never keeps a count from before a change as current, with entries landing while agents read', async () => {
    const customerId = randomUUID();
    const entry = (n: number) => ({
      customerId,
      occurredAt: new Date(),
      type: 'COMMUNICATION' as const,
      summary: `call ${n}`,
      sourceType: 'Interaction',
      sourceId: randomUUID(),
      eventId: randomUUID(),
    });
    await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        n % 2 ? addTimelineEntry(h.handle.db, { source: 'cmp.interaction' }, entry(n)) : readInsights(customerId, callerWith('SupportAgent')),
      ),
    );
    // Whatever the interleaving, the next read counts all 20: a refresh that raced an entry either waited for it or
    // was marked stale after it.
    expect(await current(customerId)).toMatchObject({ stale: false, facts: { engagements30: 20, engagements90: 20 } });
  });

  it('computes on demand when nothing is stored, and again once what is stored is over an hour old', async () => {
    const customerId = randomUUID();
    expect(await stored(customerId)).toBeUndefined();
    expect(await readInsights(customerId)).toMatchObject({ engagementLevel: 'NONE', churnRisk: 'LOW', churnScore: 0.2, recommendedActions: [RE_ENGAGE] });
    expect(await stored(customerId)).toMatchObject({ churnScore: 0.2 });

    // a task becomes overdue with time, without any event: a fresh stored answer stands, an old one is recomputed
    await h.handle.db.insert(followUpTasks).values({ customerId, title: 'Call back', dueAt: new Date(Date.now() - DAY), priority: 'HIGH' });
    expect(await readInsights(customerId)).toMatchObject({ churnScore: 0.2 });
    await h.handle.db.update(customerInsights).set({ refreshedAt: new Date(Date.now() - 2 * 3_600_000) }).where(eq(customerInsights.customerId, customerId));
    expect(await readInsights(customerId)).toMatchObject({ churnScore: 0.4, churnRisk: 'MEDIUM', recommendedActions: ['Complete the 1 overdue follow-up task today', RE_ENGAGE] });
  });

  it('is for staff with read access: not on a customer token, even its own', async () => {
    const customerId = randomUUID();
    const own = await h.run(callerWith('Customer', { customerId }), INSIGHTS, { representations: [{ __typename: 'Customer', id: customerId }] });
    expect(own.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const analyst = await h.run(callerWith('DataAnalyst'), INSIGHTS, { representations: [{ __typename: 'Customer', id: customerId }] });
    expect(analyst.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists the customer analysed texts by sentiment', async () => {
    const customerId = randomUUID();
    await compliment(customerId, 'The crew was wonderful, thank you!');
    await complaint(customerId, 'Lost bag', 'They lost my bag. Terrible.', new Date());
    const query = customerEntities('textAnalyses(label: $label) { subjectType label }').replace(
      'query Entities($representations: [_Any!]!)',
      'query Entities($representations: [_Any!]!, $label: SentimentLabel)',
    );
    const representations = [{ __typename: 'Customer', id: customerId }];
    const all = await h.run(callerWith('SupportAgent'), query, { representations });
    expect(all.data._entities[0].textAnalyses).toEqual([
      { subjectType: 'Case', label: 'NEGATIVE' },
      { subjectType: 'Feedback', label: 'POSITIVE' },
    ]);
    const negative = await h.run(callerWith('SupportAgent'), query, { representations, label: 'NEGATIVE' });
    expect(negative.data._entities[0].textAnalyses).toEqual([{ subjectType: 'Case', label: 'NEGATIVE' }]);
    const own = await h.run(callerWith('Customer', { customerId }), query, { representations });
    expect(own.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
