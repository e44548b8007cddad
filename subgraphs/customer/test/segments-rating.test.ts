import { randomUUID } from 'node:crypto';
import type { Caller } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerHistory, customers, outbox, purchases } from '../src/db/schema.ts';
import { requireLiveCustomer } from '../src/domain/guards.ts';
import { ratingFor, ratingPoints, refundedShareBasisPoints, type RatingSignals } from '../src/domain/rating.ts';
import { segmentFor } from '../src/domain/segments.ts';
import { refreshCustomerValue } from '../src/domain/value.ts';
import { customerSubgraph } from '../src/index.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }
`;
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }
`;
const REFUND = /* GraphQL */ `
  mutation Refund($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id status } }
`;
const READ = /* GraphQL */ `
  query Read($id: ID!) { customer(id: $id) { segment segmentOverridden rating ratingOverridden lifetimeValue { amountMinor currency } } }
`;
const SEGMENT = /* GraphQL */ `
  mutation Segment($id: ID!, $segment: CustomerSegment, $reason: String!) {
    overrideCustomerSegment(customerId: $id, segment: $segment, reason: $reason) { id segment segmentOverridden }
  }
`;
const RATING = /* GraphQL */ `
  mutation Rating($id: ID!, $rating: CustomerRating, $reason: String!) {
    overrideCustomerRating(customerId: $id, rating: $rating, reason: $reason) { id rating ratingOverridden }
  }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin');
const run = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => h.run(caller, query, variables);

async function newCustomer(type = 'INDIVIDUAL'): Promise<string> {
  const person = type === 'INDIVIDUAL' ? { firstName: 'Eva', lastName: 'Gil' } : { companyName: 'Acme Viajes SL' };
  const result = await run(admin, CREATE, { input: { type, ...person, primaryEmail: `eva.${randomUUID().slice(0, 8)}@example.com` } });
  expect(result.errors).toBeUndefined();
  return result.data.createCustomer.id;
}

async function buy(customerId: string, amountMinor: number): Promise<string> {
  const result = await run(admin, RECORD, {
    input: {
      customerId,
      orderReference: `SEG-${randomUUID()}`,
      channel: 'ANCILLARY',
      currency: 'EUR',
      items: [{ sku: 'FARE-UP', description: 'Fare upgrade', quantity: 1, unitAmountMinor: amountMinor }],
      purchasedAt: '2026-02-01T12:00:00.000Z',
    },
  });
  expect(result.errors).toBeUndefined();
  return result.data.recordPurchase.id;
}

const read = async (id: string) => (await run(admin, READ, { id })).data.customer;

const historyOf = (id: string, attribute: 'SEGMENT' | 'RATING' | 'LIFETIME_VALUE') =>
  h.handle.db
    .select()
    .from(customerHistory)
    .where(and(eq(customerHistory.customerId, id), eq(customerHistory.attribute, attribute)))
    .orderBy(asc(customerHistory.at), asc(customerHistory.id));

const eventsOf = async (id: string, type: string) =>
  (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id)).orderBy(asc(outbox.id))).filter((e) => e.type === type);

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('segment rules', () => {
  it.each([
    ['INDIVIDUAL', 0, 'STANDARD'],
    ['INDIVIDUAL', 1_000_000, 'STANDARD'],
    ['INDIVIDUAL', 1_000_001, 'PREMIUM'],
    ['SMALL_BUSINESS', 5_000_000, 'PREMIUM'],
    ['GOVERNMENT', 5_000_001, 'VIP'],
    ['ENTERPRISE', 0, 'CORPORATE'],
    ['ENTERPRISE', 9_000_000, 'CORPORATE'],
  ] as const)('a %s customer with %i cents of lifetime value is %s', (type, value, segment) => {
    expect(segmentFor(type, value)).toBe(segment);
  });

  it('keeps exactly EUR 10,000.00 Standard and moves to Premium at 10,000.01, with history and an event', async () => {
    const id = await newCustomer();
    await buy(id, 1_000_000);
    expect(await read(id)).toMatchObject({ segment: 'STANDARD', lifetimeValue: { amountMinor: 1_000_000, currency: 'EUR' } });
    expect(await historyOf(id, 'SEGMENT')).toHaveLength(0);

    const cent = await buy(id, 1);
    expect(await read(id)).toMatchObject({ segment: 'PREMIUM', segmentOverridden: false, lifetimeValue: { amountMinor: 1_000_001 } });
    const [change] = await historyOf(id, 'SEGMENT');
    expect(change).toMatchObject({ fromValue: 'STANDARD', toValue: 'PREMIUM', source: 'AUTOMATIC', actor: admin.subject });
    expect(change!.reason).toMatch(/^purchase SEG-/);
    const [event] = await eventsOf(id, 'cmp.customer.CustomerSegmentChanged');
    expect(event).toMatchObject({ aggregateType: 'Customer', aggregateId: id, data: { customerId: id, from: 'STANDARD', to: 'PREMIUM', source: 'AUTOMATIC' } });

    // Refunding the cent takes the customer back to Standard.
    const refund = await run(admin, REFUND, { input: { purchaseId: cent, refundReference: 'RF-CENT', amount: { amountMinor: 1, currency: 'EUR' }, reason: 'Duplicate charge' } });
    expect(refund.errors).toBeUndefined();
    expect(await read(id)).toMatchObject({ segment: 'STANDARD', lifetimeValue: { amountMinor: 1_000_000 } });
    expect((await historyOf(id, 'SEGMENT')).map((e) => [e.fromValue, e.toValue])).toEqual([
      ['STANDARD', 'PREMIUM'],
      ['PREMIUM', 'STANDARD'],
    ]);
  });

  it('makes a customer VIP above EUR 50,000.00 and leaves an enterprise Corporate whatever it spends', async () => {
    const id = await newCustomer();
    await buy(id, 5_000_000);
    expect((await read(id)).segment).toBe('PREMIUM');
    await buy(id, 1);
    expect((await read(id)).segment).toBe('VIP');

    const corp = await newCustomer('ENTERPRISE');
    await buy(corp, 6_000_000);
    expect(await read(corp)).toMatchObject({ segment: 'CORPORATE', lifetimeValue: { amountMinor: 6_000_000 } });
    expect(await historyOf(corp, 'SEGMENT')).toHaveLength(0);
  });
});

describe('overrideCustomerSegment', () => {
  it('fixes the segment by hand against the rules until returned to them with null', async () => {
    const id = await newCustomer();
    const fixed = await run(callerWith('SalesRep'), SEGMENT, { id, segment: 'VIP', reason: 'Board member of a partner airline' });
    expect(fixed.errors).toBeUndefined();
    expect(fixed.data.overrideCustomerSegment).toMatchObject({ segment: 'VIP', segmentOverridden: true });

    await buy(id, 1_500_000); // the rules would say Premium
    expect(await read(id)).toMatchObject({ segment: 'VIP', segmentOverridden: true, lifetimeValue: { amountMinor: 1_500_000 } });

    const back = await run(admin, SEGMENT, { id, segment: null, reason: 'Partnership ended' });
    expect(back.data.overrideCustomerSegment).toMatchObject({ segment: 'PREMIUM', segmentOverridden: false });

    const history = await historyOf(id, 'SEGMENT');
    expect(history.map((e) => ({ from: e.fromValue, to: e.toValue, source: e.source, actor: e.actor }))).toEqual([
      { from: 'STANDARD', to: 'VIP', source: 'MANUAL', actor: 'test:salesrep' },
      { from: 'VIP', to: 'PREMIUM', source: 'MANUAL', actor: admin.subject },
    ]);
    expect(history[0]!.reason).toBe('Board member of a partner airline');
    expect(history[1]!.reason).toMatch(/automatic rules: Partnership ended/);
    const events = await eventsOf(id, 'cmp.customer.CustomerSegmentChanged');
    expect(events.map((e) => [e.data.from, e.data.to, e.data.source])).toEqual([
      ['STANDARD', 'VIP', 'MANUAL'],
      ['VIP', 'PREMIUM', 'MANUAL'],
    ]);

    // Automatic again: the next purchase moves it on by the rules.
    await buy(id, 4_000_000);
    expect(await read(id)).toMatchObject({ segment: 'VIP', segmentOverridden: false });
    expect((await historyOf(id, 'SEGMENT')).at(-1)).toMatchObject({ fromValue: 'PREMIUM', toValue: 'VIP', source: 'AUTOMATIC' });
  });

  it('needs the update privilege, a reason and a live customer', async () => {
    const id = await newCustomer();
    for (const caller of [callerWith('Viewer'), callerWith('SupportAgent'), callerWith('MarketingManager'), callerWith('Customer', { customerId: id })]) {
      const result = await run(caller, SEGMENT, { id, segment: 'VIP', reason: 'Because' });
      expect(result.errors?.[0]?.extensions?.code, caller.roles[0]).toBe('FORBIDDEN');
    }
    const noReason = await run(admin, SEGMENT, { id, segment: 'VIP', reason: ' ' });
    expect(noReason.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect((await run(admin, SEGMENT, { id: randomUUID(), segment: 'VIP', reason: 'Unknown one' })).errors?.[0]?.extensions?.code).toBe('CUST-001');
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'gone' }).where(eq(customers.id, id));
    expect((await run(admin, SEGMENT, { id, segment: 'VIP', reason: 'Too late' })).errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect(await historyOf(id, 'SEGMENT')).toHaveLength(0);
  });
});

describe('rating rules', () => {
  const none: RatingSignals = { paidPurchases: 0, refundedShareBasisPoints: 0, eventsAttended: 0, complaints: 0, testimonials: 0 };
  it.each([
    ['no signal at all', {}, 'UNRATED', 0],
    ['one paid purchase', { paidPurchases: 1 }, 'FAIR', 1],
    ['three paid purchases', { paidPurchases: 3 }, 'GOOD', 2],
    ['ten purchases, three events', { paidPurchases: 10, eventsAttended: 3 }, 'EXCELLENT', 5],
    ['three purchases, an event, two testimonials', { paidPurchases: 3, eventsAttended: 1, testimonials: 2 }, 'EXCELLENT', 5],
    ['testimonials count at most twice', { paidPurchases: 3, testimonials: 5 }, 'GOOD', 4],
    ['one complaint only', { complaints: 1 }, 'POOR', -1],
    ['one purchase and one complaint', { paidPurchases: 1, complaints: 1 }, 'FAIR', 0],
    ['four complaints outweigh ten purchases', { paidPurchases: 10, complaints: 4 }, 'FAIR', 0],
    ['20 % refunded is not penalised', { paidPurchases: 3, refundedShareBasisPoints: 2_000 }, 'GOOD', 2],
    ['over 20 % refunded costs a point', { paidPurchases: 3, refundedShareBasisPoints: 2_001 }, 'FAIR', 1],
    ['everything refunded', { refundedShareBasisPoints: 10_000 }, 'POOR', -2],
  ] as const)('%s: %s', (_label, signals, rating, points) => {
    const s = { ...none, ...signals };
    expect(ratingPoints(s)).toBe(points);
    expect(ratingFor(s)).toBe(rating);
  });

  it('measures the refunded share in whole basis points', () => {
    expect(refundedShareBasisPoints(0, 0)).toBe(0);
    expect(refundedShareBasisPoints(3, 1)).toBe(3333);
    expect(refundedShareBasisPoints(9234, 9234)).toBe(10_000);
  });

  it('rates from the purchase history as it changes, with history and events', async () => {
    const id = await newCustomer();
    expect((await read(id)).rating).toBe('UNRATED');
    await buy(id, 1000);
    expect((await read(id)).rating).toBe('FAIR');
    await buy(id, 1000);
    const third = await buy(id, 1000);
    expect((await read(id)).rating).toBe('GOOD');
    // Refunding one of three in full: 2 paid (+1) and a third of the value refunded (-1).
    const refunded = await run(admin, REFUND, { input: { purchaseId: third, refundReference: 'RF-THIRD', amount: { amountMinor: 1000, currency: 'EUR' }, reason: 'Flight cancelled' } });
    expect(refunded.errors).toBeUndefined();
    expect((await read(id)).rating).toBe('FAIR');

    const history = await historyOf(id, 'RATING');
    expect(history.map((e) => [e.fromValue, e.toValue, e.source])).toEqual([
      ['UNRATED', 'FAIR', 'AUTOMATIC'],
      ['FAIR', 'GOOD', 'AUTOMATIC'],
      ['GOOD', 'FAIR', 'AUTOMATIC'],
    ]);
    const events = await eventsOf(id, 'cmp.customer.CustomerRatingChanged');
    expect(events.map((e) => [e.data.from, e.data.to])).toEqual([
      ['UNRATED', 'FAIR'],
      ['FAIR', 'GOOD'],
      ['GOOD', 'FAIR'],
    ]);
  });
});

describe('overrideCustomerRating', () => {
  it('lets a manager fix the rating, which purchases then leave alone until returned to the rules', async () => {
    const id = await newCustomer();
    const fixed = await run(callerWith('CustomerManager'), RATING, { id, rating: 'EXCELLENT', reason: 'Handled a disruption with patience' });
    expect(fixed.errors).toBeUndefined();
    expect(fixed.data.overrideCustomerRating).toMatchObject({ rating: 'EXCELLENT', ratingOverridden: true });
    await buy(id, 500);
    expect(await read(id)).toMatchObject({ rating: 'EXCELLENT', ratingOverridden: true });

    const back = await run(admin, RATING, { id, rating: null, reason: 'Review finished' });
    expect(back.data.overrideCustomerRating).toMatchObject({ rating: 'FAIR', ratingOverridden: false });
    expect((await historyOf(id, 'RATING')).map((e) => [e.fromValue, e.toValue, e.source, e.actor])).toEqual([
      ['UNRATED', 'EXCELLENT', 'MANUAL', 'test:customermanager'],
      ['EXCELLENT', 'FAIR', 'MANUAL', admin.subject],
    ]);
    expect((await eventsOf(id, 'cmp.customer.CustomerRatingChanged')).map((e) => e.data.source)).toEqual(['MANUAL', 'MANUAL']);
  });

  it('is refused to roles below manager, SalesRep included', async () => {
    const id = await newCustomer();
    for (const role of ['SalesRep', 'SupportAgent', 'Viewer', 'MarketingManager'] as const) {
      const result = await run(callerWith(role), RATING, { id, rating: 'POOR', reason: 'Rude on the phone' });
      expect(result.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    expect((await read(id)).ratingOverridden).toBe(false);
  });
});

describe('refreshCustomerValue', () => {
  it("recomputes a merge target's value after purchases move to it, and writes nothing when nothing changed", async () => {
    const source = await newCustomer();
    const target = await newCustomer();
    await buy(source, 800_000);
    await buy(target, 300_000);
    const events = { source: 'cmp.customer', traceparent: null };
    await h.handle.db.transaction(async (tx) => {
      await requireLiveCustomer(tx, target, { forUpdate: true });
      await tx.update(purchases).set({ customerId: target }).where(eq(purchases.customerId, source));
      await refreshCustomerValue(tx, target, 'test:merge', events, `merge of ${source}`);
    });
    expect(await read(target)).toMatchObject({ segment: 'PREMIUM', lifetimeValue: { amountMinor: 1_100_000 }, rating: 'FAIR' });
    expect((await historyOf(target, 'LIFETIME_VALUE')).at(-1)).toMatchObject({
      fromValue: '300000',
      toValue: '1100000',
      actor: 'test:merge',
      reason: `merge of ${source}`,
    });
    const before = (await h.handle.db.select().from(customerHistory).where(eq(customerHistory.customerId, target))).length;
    const outboxBefore = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, target))).length;
    await h.handle.db.transaction(async (tx) => {
      await requireLiveCustomer(tx, target, { forUpdate: true });
      await refreshCustomerValue(tx, target, 'test:merge', events, 'again');
    });
    expect((await h.handle.db.select().from(customerHistory).where(eq(customerHistory.customerId, target))).length).toBe(before);
    expect((await h.handle.db.select().from(outbox).where(eq(outbox.customerId, target))).length).toBe(outboxBefore);
  });
});
