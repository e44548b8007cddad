import type { CloudEvent } from '@cmp/platform';
import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interactions, outbox, timelineEntries } from '../src/db/schema.ts';
import { insertTimelineEntry } from '../src/db/timeline.repo.ts';
import { timelineConsumer } from '../src/events/timeline-consumer.ts';
import { addTimelineEntry, TIMELINE_ENTRY_ADDED } from '../src/domain/timeline.ts';
import { customerInsights } from '../src/db/feedback.schema.ts';
import { eq } from 'drizzle-orm';
import { interactionSubgraph } from '../src/index.ts';

const LOG = /* GraphQL */ `
  mutation($input: LogInteractionInput!) {
    logInteraction(input: $input) { id channel direction subject summary occurredAt recordedBy customer { id } }
  }
`;
const timeline = (args = '') =>
  customerEntities(`timeline${args} { edges { cursor node { id type summary occurredAt sourceType sourceId } } pageInfo { hasNextPage endCursor } }`);

let h: SubgraphHarness;
const agent = callerWith('SupportAgent');
const call = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  channel: 'CALL',
  direction: 'INBOUND',
  durationSeconds: 300,
  summary: 'Asked about the delayed bag on IB3166.',
  ...overrides,
});
const entitiesOf = (...ids: string[]) => ({ representations: ids.map((id) => ({ __typename: 'Customer', id })) });

beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

describe('logInteraction', () => {
  it('records the interaction, its timeline entry and an InteractionLogged event together', async () => {
    const customerId = randomUUID();
    const result = await h.run(agent, LOG, { input: call(customerId) });
    expect(result.errors).toBeUndefined();
    const logged = result.data.logInteraction;
    expect(logged).toMatchObject({ channel: 'CALL', direction: 'INBOUND', subject: null, recordedBy: 'test:supportagent', customer: { id: customerId } });
    const read = await h.run(agent, timeline(), entitiesOf(customerId));
    expect(read.data._entities[0].timeline.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ type: 'COMMUNICATION', summary: 'Inbound call (5 min): Asked about the delayed bag on IB3166.', sourceType: 'Interaction', sourceId: logged.id }),
    ]);
    const [event] = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === logged.id);
    expect(event).toMatchObject({ type: 'cmp.interaction.InteractionLogged', customerId, data: { channel: 'CALL', direction: 'INBOUND' } });
  });

  it.each([
    ['summary', { summary: 'Short' }, /at least 10/],
    ['summary', { channel: 'NOTE', summary: '' }, /required/],
    ['summary', { channel: 'NOTE', summary: 'x'.repeat(5001) }, /at most 5000/],
    ['subject', { channel: 'EMAIL', direction: 'OUTBOUND', summary: 'Sent the invitation' }, /required for an e-mail/],
    ['subject', { channel: 'CHAT', subject: 's'.repeat(501) }, /at most 500/],
    ['occurredAt', { occurredAt: new Date(Date.now() + 3_600_000).toISOString() }, /future/],
    ['customerId', { customerId: 'nobody' }, /UUID/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides, message) => {
    const before = (await h.handle.db.select().from(interactions)).length;
    const result = await h.run(agent, LOG, { input: call(randomUUID(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(interactions)).length).toBe(before);
  });

  it('refuses roles that do not log interactions', async () => {
    for (const role of ['Viewer', 'MarketingManager', 'LoungeDevice'] as const) {
      const result = await h.run(callerWith(role, { loungeCode: 'MAD-DALI' }), LOG, { input: call(randomUUID()) });
      expect(result.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('Customer.timeline', () => {
  it('walks 25 entries in pages of 10, newest first, with no duplicates or gaps', async () => {
    const customerId = randomUUID();
    const base = Date.now() - 100 * 60_000;
    for (let i = 0; i < 25; i++) {
      await h.run(agent, LOG, { input: call(customerId, { channel: 'NOTE', durationSeconds: null, summary: `note ${i}`, occurredAt: new Date(base + i * 60_000).toISOString() }) });
    }
    const seen: string[] = [];
    let after: string | null = null;
    const pages: boolean[] = [];
    do {
      const args: string = after ? `(first: 10, after: "${after}")` : '(first: 10)';
      const page = (await h.run(agent, timeline(args), entitiesOf(customerId))).data._entities[0].timeline;
      seen.push(...page.edges.map((e: any) => e.node.summary));
      pages.push(page.pageInfo.hasNextPage);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([true, true, false]);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `Note: note ${24 - i}`));
  });

  it('filters by type and keeps each customer\'s entries apart in one _entities call', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await h.run(agent, LOG, { input: call(a) });
    await insertTimelineEntry(h.handle.db, { customerId: a, occurredAt: new Date(), type: 'CASE', summary: 'Case opened', sourceType: 'Case', sourceId: randomUUID() });
    await insertTimelineEntry(h.handle.db, { customerId: b, occurredAt: new Date(), type: 'LOYALTY', summary: 'Joined', sourceType: 'LoyaltyAccount', sourceId: randomUUID() });
    const result = await h.run(agent, customerEntities('all: timeline { edges { node { type } } } cases: timeline(types: [CASE]) { edges { node { type } } }'), entitiesOf(a, b));
    expect(result.errors).toBeUndefined();
    const types = (c: any, f: string) => c[f].edges.map((e: any) => e.node.type).sort();
    expect(types(result.data._entities[0], 'all')).toEqual(['CASE', 'COMMUNICATION']);
    expect(types(result.data._entities[0], 'cases')).toEqual(['CASE']);
    expect(types(result.data._entities[1], 'all')).toEqual(['LOYALTY']);
    expect(types(result.data._entities[1], 'cases')).toEqual([]);
  });

  it('refuses a page size outside 1-100 and a forged cursor, naming the argument', async () => {
    const id = randomUUID();
    expect((await h.run(agent, timeline('(first: 101)'), entitiesOf(id))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await h.run(agent, timeline('(after: "not-a-cursor")'), entitiesOf(id))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('shows a Customer token its own timeline and refuses another customer\'s', async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const me = callerWith('Customer', { customerId: mine });
    expect((await h.run(me, timeline(), entitiesOf(mine))).errors).toBeUndefined();
    expect((await h.run(me, timeline(), entitiesOf(theirs))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('timeline projection', () => {
  const event = (overrides: Partial<CloudEvent> = {}): CloudEvent => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'cmp.case',
    type: 'cmp.case.CustomerComplaintReceived',
    subject: `Case/${randomUUID()}`,
    time: '2026-11-20T10:00:00.000Z',
    datacontenttype: 'application/json',
    data: { caseNumber: 'COMP-20261120-0001', subject: 'Lost bag' },
    customerid: randomUUID(),
    ...overrides,
  });

  it('puts another subgraph\'s event on the timeline once, however often it is delivered', async () => {
    const delivered = event();
    await timelineConsumer.handle(h.handle.db, delivered);
    await timelineConsumer.handle(h.handle.db, delivered);
    const rows = (await h.handle.db.select().from(timelineEntries)).filter((r) => r.eventId === delivered.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      customerId: delivered.customerid,
      type: 'CASE',
      summary: 'Case COMP-20261120-0001 opened: Lost bag',
      sourceType: 'Case',
      sourceId: delivered.subject.split('/')[1],
      occurredAt: new Date('2026-11-20T10:00:00.000Z'),
    });
  });

  it('shows a loyalty tier change on the timeline', async () => {
    const changed = event({ source: 'cmp.loyalty', type: 'cmp.loyalty.LoyaltyTierChanged', subject: `LoyaltyAccount/${randomUUID()}`, data: { fromTier: 'PLATA', toTier: 'ORO', manual: false } });
    await timelineConsumer.handle(h.handle.db, changed);
    const [row] = (await h.handle.db.select().from(timelineEntries)).filter((r) => r.eventId === changed.id);
    expect(row).toMatchObject({ type: 'LOYALTY', summary: 'Tier changed from PLATA to ORO', sourceType: 'LoyaltyAccount' });
  });

  it('skips events without a customer', async () => {
    const orphan = event({ customerid: undefined });
    await timelineConsumer.handle(h.handle.db, orphan);
    expect((await h.handle.db.select().from(timelineEntries)).some((r) => r.eventId === orphan.id)).toBe(false);
  });

  it('puts an event on the timeline once, announcing it once and marking the insights for recounting', async () => {
    const customerId = randomUUID();
    const entry = { customerId, occurredAt: new Date(), type: 'PROFILE' as const, summary: 'x', sourceType: 'Customer', sourceId: 'c', eventId: randomUUID() };
    const context = { source: 'cmp.interaction' };
    await addTimelineEntry(h.handle.db, context, entry);
    await addTimelineEntry(h.handle.db, context, entry);
    const entries = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.customerId, customerId));
    expect(entries).toHaveLength(1);
    const announced = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, customerId))).filter((r) => r.type === TIMELINE_ENTRY_ADDED);
    expect(announced.map((r) => r.data)).toEqual([{ entryId: entries[0]!.id, customerId, type: 'PROFILE', occurredAt: entry.occurredAt.toISOString(), actor: 'system' }]);
    expect(announced[0]).toMatchObject({ aggregateType: 'TimelineEntry', aggregateId: entries[0]!.id, source: 'cmp.interaction' });
    expect(await h.handle.db.select().from(customerInsights).where(eq(customerInsights.customerId, customerId))).toMatchObject([{ stale: true }]);
  });
});
