import { randomUUID } from 'node:crypto';
import type { Caller } from '@cmp/platform';
import { callerWith, customerEntities, recordQueries, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportingRefundedFor } from '../src/domain/purchases.ts';
import { customerHistory, customers, outbox, purchases } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }
`;
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) {
      id orderReference channel status flightNumber purchasedAt
      items { sku description quantity unitPrice { amountMinor currency } }
      amount { amountMinor currency } refunded { amountMinor currency } reportingAmount { amountMinor currency }
      customer { id lifetimeValue { amountMinor currency } }
    }
  }
`;
const REFUND = /* GraphQL */ `
  mutation Refund($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) {
      id status refunded { amountMinor currency } reportingAmount { amountMinor currency }
      customer { lifetimeValue { amountMinor } }
    }
  }
`;
const PURCHASES = /* GraphQL */ `
  query Purchases($id: ID!, $first: Int, $after: String) {
    customer(id: $id) {
      lifetimeValue { amountMinor currency }
      purchases(first: $first, after: $after) {
        edges { cursor node { orderReference amount { amountMinor } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin');
const run = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => h.run(caller, query, variables);

async function newCustomer(): Promise<string> {
  const result = await run(admin, CREATE, {
    input: { type: 'INDIVIDUAL', firstName: 'Ana', lastName: 'Ruiz', primaryEmail: `ana.${randomUUID().slice(0, 8)}@example.com` },
  });
  expect(result.errors).toBeUndefined();
  return result.data.createCustomer.id;
}

const purchase = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  orderReference: `ORD-${randomUUID()}`,
  channel: 'WEB',
  currency: 'EUR',
  items: [
    { sku: 'BAG-23', description: 'Checked bag 23 kg', quantity: 2, unitAmountMinor: 4550 },
    { sku: 'SEAT-XL', description: 'Extra legroom seat', quantity: 1, unitAmountMinor: 2999 },
  ],
  purchasedAt: '2026-03-01T10:00:00.000Z',
  ...overrides,
});

async function record(input: Record<string, unknown>) {
  const result = await run(admin, RECORD, { input });
  expect(result.errors).toBeUndefined();
  return result.data.recordPurchase;
}

const ltvOf = async (id: string) =>
  (await h.handle.db.select({ v: customers.lifetimeValueMinor }).from(customers).where(eq(customers.id, id)))[0]!.v;

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('recordPurchase', () => {
  it('adds up the items exactly in minor units and adds the purchase to the lifetime value', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id, { flightNumber: 'ib 3166' }));
    expect(p).toMatchObject({
      channel: 'WEB',
      status: 'PAID',
      flightNumber: 'IB3166',
      amount: { amountMinor: 12099, currency: 'EUR' },
      refunded: { amountMinor: 0, currency: 'EUR' },
      reportingAmount: { amountMinor: 12099, currency: 'EUR' },
      customer: { id, lifetimeValue: { amountMinor: 12099, currency: 'EUR' } },
    });
    expect(p.items[0]).toEqual({ sku: 'BAG-23', description: 'Checked bag 23 kg', quantity: 2, unitPrice: { amountMinor: 4550, currency: 'EUR' } });
    expect(await ltvOf(id)).toBe(12099);
  });

  it('adds the EUR reporting amount of a purchase in another currency, not its own amount', async () => {
    const id = await newCustomer();
    const p = await record(
      purchase(id, { currency: 'usd', items: [{ sku: 'DUTYFREE', description: 'Perfume', quantity: 1, unitAmountMinor: 10000 }], reportingAmountMinor: 9234, channel: 'INFLIGHT' }),
    );
    expect(p).toMatchObject({ amount: { amountMinor: 10000, currency: 'USD' }, reportingAmount: { amountMinor: 9234, currency: 'EUR' } });
    expect(await ltvOf(id)).toBe(9234);
  });

  it('writes a LIFETIME_VALUE history entry and the PurchaseRecorded and CustomerLifetimeValueChanged events', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id, { orderReference: `REF-${randomUUID().slice(0, 8)}` }));
    const history = await h.handle.db
      .select()
      .from(customerHistory)
      .where(and(eq(customerHistory.customerId, id), eq(customerHistory.attribute, 'LIFETIME_VALUE')));
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ fromValue: '0', toValue: '12099', source: 'AUTOMATIC', actor: admin.subject, reason: `purchase ${p.orderReference}` });
    const events = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['cmp.customer.PurchaseRecorded', 'cmp.customer.CustomerLifetimeValueChanged']));
    const recorded = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).find((e) => e.type === 'cmp.customer.PurchaseRecorded');
    expect(recorded).toMatchObject({ aggregateType: 'Customer', aggregateId: id, data: { purchaseId: p.id, amountMinor: 12099, currency: 'EUR', reportingAmountMinor: 12099 } });
  });

  it('answers the first record when the same order reference is recorded again, changing nothing', async () => {
    const id = await newCustomer();
    const input = purchase(id);
    const first = await record(input);
    const again = await record(input);
    expect(again.id).toBe(first.id);
    expect(await ltvOf(id)).toBe(12099);
    expect(await h.handle.db.select().from(purchases).where(eq(purchases.orderReference, input.orderReference))).toHaveLength(1);
    const valueEvents = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).filter((e) => e.type === 'cmp.customer.PurchaseRecorded');
    expect(valueEvents).toHaveLength(1);
  });

  it('records one purchase of 20 concurrent recordings of one order reference', async () => {
    const id = await newCustomer();
    const input = purchase(id);
    const results = await Promise.all(Array.from({ length: 20 }, () => run(admin, RECORD, { input })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data.recordPurchase.id)).size).toBe(1);
    expect(await ltvOf(id)).toBe(12099);
  });

  it('answers CONFLICT naming orderReference for different content or another customer under a taken reference', async () => {
    const id = await newCustomer();
    const other = await newCustomer();
    const input = purchase(id);
    await record(input);
    const changed = await run(admin, RECORD, { input: { ...input, items: [{ sku: 'BAG-23', description: 'Checked bag 23 kg', quantity: 3, unitAmountMinor: 4550 }] } });
    expect(changed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'orderReference' });
    const stolen = await run(admin, RECORD, { input: { ...input, customerId: other } });
    expect(stolen.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'orderReference' });
    expect(stolen.errors?.[0]?.message).toMatch(/another customer/);
    expect(await ltvOf(id)).toBe(12099);
    expect(await ltvOf(other)).toBe(0);
  });

  it('keeps the lifetime value exactly the sum of 100 concurrent purchases of one customer', async () => {
    const id = await newCustomer();
    const amounts = Array.from({ length: 100 }, (_, i) => 1001 + i * 37);
    const results = await Promise.all(
      amounts.map((unitAmountMinor) => run(admin, RECORD, { input: purchase(id, { items: [{ sku: 'MEAL', description: 'Hot meal', quantity: 1, unitAmountMinor }] }) })),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const sum = amounts.reduce((a, b) => a + b, 0);
    expect(sum).toBe(283250);
    expect(await ltvOf(id)).toBe(sum);
    const history = await h.handle.db
      .select()
      .from(customerHistory)
      .where(and(eq(customerHistory.customerId, id), eq(customerHistory.attribute, 'LIFETIME_VALUE')));
    expect(history).toHaveLength(100);
    // Each change starts where the previous one ended: a chain from 0 to the sum.
    const from = new Set(history.map((e) => e.fromValue));
    const ends = history.map((e) => e.toValue).filter((to) => !from.has(to));
    expect(ends).toEqual([String(sum)]);
  });

  it.each([
    ['currency', { currency: 'XYZ' }, /ISO 4217/],
    ['items', { items: [] }, /at least one/],
    ['items[0].quantity', { items: [{ sku: 'A', description: 'B', quantity: 0, unitAmountMinor: 100 }] }, /at least 1/],
    ['items[0].unitAmountMinor', { items: [{ sku: 'A', description: 'B', quantity: 1, unitAmountMinor: -1 }] }, /0 or more/],
    ['items[0].sku', { items: [{ sku: ' ', description: 'B', quantity: 1, unitAmountMinor: 1 }] }, /required/],
    ['reportingAmountMinor', { currency: 'GBP' }, /required/],
    ['reportingAmountMinor', { reportingAmountMinor: 5 }, /must equal the amount \(12099\)/],
    ['orderReference', { orderReference: '' }, /required/],
    ['flightNumber', { flightNumber: 'IBERIA' }, /IB3166/],
    ['customerId', { customerId: 'CUS-000001' }, /UUID/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it', async (field, overrides, message) => {
    const id = await newCustomer();
    const result = await run(admin, RECORD, { input: purchase(id, overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(await ltvOf(id)).toBe(0);
  });

  it('refuses purchases of an unknown customer (CUST-001) and of a deactivated one (CUST-004)', async () => {
    const unknown = await run(admin, RECORD, { input: purchase(randomUUID()) });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('CUST-001');
    const id = await newCustomer();
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'closed account' }).where(eq(customers.id, id));
    const refused = await run(admin, RECORD, { input: purchase(id) });
    expect(refused.errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect(await h.handle.db.select().from(purchases).where(eq(purchases.customerId, id))).toHaveLength(0);
  });

  it('lets Admin, CustomerManager and SalesRep record purchases and refuses Viewer, SupportAgent and Customer tokens', async () => {
    const id = await newCustomer();
    for (const role of ['CustomerManager', 'SalesRep'] as const) {
      expect((await run(callerWith(role), RECORD, { input: purchase(id) })).errors, role).toBeUndefined();
    }
    for (const caller of [callerWith('Viewer'), callerWith('SupportAgent'), callerWith('Customer', { customerId: id })]) {
      expect((await run(caller, RECORD, { input: purchase(id) })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('refundPurchase', () => {
  it('refunds in part then in full, with statuses, proportional reporting refunds and the lifetime value following', async () => {
    const id = await newCustomer();
    // 100.00 USD reported as 92.34 EUR.
    const p = await record(purchase(id, { currency: 'USD', reportingAmountMinor: 9234, items: [{ sku: 'X', description: 'Lounge pass', quantity: 1, unitAmountMinor: 10000 }] }));
    const part = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-1', amount: { amountMinor: 3333, currency: 'USD' }, reason: 'Seat not available' } });
    expect(part.errors).toBeUndefined();
    // 9234 × 3333 / 10000 = 3077.69..., rounded half up: 3078 refunded, 6156 left.
    expect(part.data.refundPurchase).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded: { amountMinor: 3333, currency: 'USD' },
      reportingAmount: { amountMinor: 6156, currency: 'EUR' },
      customer: { lifetimeValue: { amountMinor: 6156 } },
    });
    const rest = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-2', amount: { amountMinor: 6667, currency: 'USD' }, reason: 'Flight cancelled' } });
    expect(rest.data.refundPurchase).toMatchObject({
      status: 'REFUNDED',
      refunded: { amountMinor: 10000 },
      reportingAmount: { amountMinor: 0 },
      customer: { lifetimeValue: { amountMinor: 0 } },
    });
    const [row] = await h.handle.db.select().from(purchases).where(eq(purchases.id, p.id));
    expect(row).toMatchObject({ refundedMinor: 10000, reportingRefundedMinor: 9234 });
    const history = await h.handle.db
      .select()
      .from(customerHistory)
      .where(and(eq(customerHistory.customerId, id), eq(customerHistory.attribute, 'LIFETIME_VALUE')));
    expect(history.map((e) => [e.fromValue, e.toValue]).sort()).toEqual([['0', '9234'], ['6156', '0'], ['9234', '6156']].sort());
    const refunded = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).filter((e) => e.type === 'cmp.customer.PurchaseRefunded');
    expect(refunded.map((e) => e.data.reportingRefundMinor).sort()).toEqual([3078, 6156]);
  });

  it('computes the reporting refund on the running total so partial refunds never drift and a full refund removes all', () => {
    expect(reportingRefundedFor(9234, 10000, 3333)).toBe(3078);
    expect(reportingRefundedFor(100, 3, 1)).toBe(33);
    expect(reportingRefundedFor(100, 3, 2)).toBe(67);
    expect(reportingRefundedFor(100, 3, 3)).toBe(100);
    expect(reportingRefundedFor(1, 2, 1)).toBe(1); // half a cent rounds up
    expect(reportingRefundedFor(2_000_000_000, 2_147_483_647, 2_147_483_646)).toBe(1_999_999_999);
  });

  it('refuses more than remains, the wrong currency and a non-positive amount, naming amount', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id));
    const tooMuch = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-3', amount: { amountMinor: 12100, currency: 'EUR' }, reason: 'Too much' } });
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount', remainingMinor: 12099 });
    const zero = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-4', amount: { amountMinor: 0, currency: 'EUR' }, reason: 'Nothing' } });
    expect(zero.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount' });
    const usd = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-5', amount: { amountMinor: 100, currency: 'USD' }, reason: 'Wrong money' } });
    expect(usd.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount.currency' });
    const unknown = await run(admin, REFUND, { input: { purchaseId: randomUUID(), refundReference: 'R-6', amount: { amountMinor: 100, currency: 'EUR' }, reason: 'Who?' } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await ltvOf(id)).toBe(12099);
  });

  it('never refunds more than was paid under 100 concurrent refunds of one purchase', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id, { items: [{ sku: 'UPG', description: 'Upgrade', quantity: 1, unitAmountMinor: 5000 }] }));
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => run(admin, REFUND, { input: { purchaseId: p.id, refundReference: `goodwill-${i}`, amount: { amountMinor: 70, currency: 'EUR' }, reason: 'Goodwill' } })),
    );
    const ok = results.filter((r) => !r.errors);
    // 71 × 70 = 4970 fits in 5000; a 72nd would not.
    expect(ok).toHaveLength(71);
    expect(results.filter((r) => r.errors).every((r) => r.errors![0]!.extensions!.field === 'amount')).toBe(true);
    const [row] = await h.handle.db.select().from(purchases).where(eq(purchases.id, p.id));
    expect(row).toMatchObject({ refundedMinor: 4970, reportingRefundedMinor: 4970, status: 'PARTIALLY_REFUNDED' });
    expect(await ltvOf(id)).toBe(30);
  });

  it('answers a refund sent again under its reference without refunding twice, also 100 times at once', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id, { items: [{ sku: 'UPG', description: 'Upgrade', quantity: 1, unitAmountMinor: 5000 }] }));
    const input = { purchaseId: p.id, refundReference: 'RF-2026-0001', amount: { amountMinor: 1200, currency: 'EUR' }, reason: 'Seat broken' };
    const results = await Promise.all(Array.from({ length: 100 }, () => run(admin, REFUND, { input })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const [row] = await h.handle.db.select().from(purchases).where(eq(purchases.id, p.id));
    expect(row).toMatchObject({ refundedMinor: 1200, status: 'PARTIALLY_REFUNDED' });
    expect(await ltvOf(id)).toBe(3800);
    const other = await run(admin, REFUND, { input: { ...input, amount: { amountMinor: 900, currency: 'EUR' } } });
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'refundReference' });
    const blank = await run(admin, REFUND, { input: { ...input, refundReference: ' ' } });
    expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'refundReference' });
  });

  it('refuses a refund on a deactivated customer with CUST-004', async () => {
    const id = await newCustomer();
    const p = await record(purchase(id));
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'closed' }).where(eq(customers.id, id));
    const result = await run(admin, REFUND, { input: { purchaseId: p.id, refundReference: 'R-8', amount: { amountMinor: 100, currency: 'EUR' }, reason: 'Late refund' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('CUST-004');
  });
});

describe('Customer.purchases', () => {
  it('pages newest first with cursors, and refuses a page size outside 1-100', async () => {
    const id = await newCustomer();
    for (const [i, day] of ['01', '03', '02', '05', '04'].entries()) {
      await record(purchase(id, { orderReference: `P-${id}-${i}`, purchasedAt: `2026-04-${day}T08:00:00.000Z` }));
    }
    const first = await run(admin, PURCHASES, { id, first: 2 });
    expect(first.errors).toBeUndefined();
    const page1 = first.data.customer.purchases;
    expect(page1.edges.map((e: any) => e.node.orderReference)).toEqual([`P-${id}-3`, `P-${id}-4`]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await run(admin, PURCHASES, { id, first: 10, after: page1.pageInfo.endCursor });
    expect(second.data.customer.purchases.edges.map((e: any) => e.node.orderReference)).toEqual([`P-${id}-1`, `P-${id}-2`, `P-${id}-0`]);
    expect(second.data.customer.purchases.pageInfo.hasNextPage).toBe(false);
    expect(first.data.customer.lifetimeValue).toEqual({ amountMinor: 5 * 12099, currency: 'EUR' });

    for (const size of [0, 101]) {
      const bad = await run(admin, PURCHASES, { id, first: size });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    const badCursor = await run(admin, PURCHASES, { id, after: 'nonsense' });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it("confines a Customer token to its own purchases, also through the Purchase entity", async () => {
    const mine = await newCustomer();
    const other = await newCustomer();
    await record(purchase(mine));
    const theirs = await record(purchase(other));
    const self = callerWith('Customer', { customerId: mine });
    const own = await run(self, PURCHASES, { id: mine });
    expect(own.data.customer.purchases.edges).toHaveLength(1);
    const denied = await run(self, PURCHASES, { id: other });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const entity = await run(self, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Purchase { id } } }', {
      r: [{ __typename: 'Purchase', id: theirs.id }],
    });
    expect(entity.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const staff = await run(callerWith('Viewer'), 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Purchase { id amount { amountMinor } customer { id } } } }', {
      r: [{ __typename: 'Purchase', id: theirs.id }],
    });
    expect(staff.data._entities[0]).toEqual({ id: theirs.id, amount: { amountMinor: 12099 }, customer: { id: other } });
  });

  it("reads 20 customers' purchases through _entities in one query", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await newCustomer();
      ids.push(id);
      for (let j = 0; j < (i % 3) + 1; j++) await record(purchase(id, { orderReference: `BATCH-${id}-${j}` }));
    }
    const { result, queries } = await recordQueries(h.handle.db, () =>
      run(admin, customerEntities('purchases(first: 2) { edges { node { orderReference } } pageInfo { hasNextPage } }'), {
        representations: ids.map((id) => ({ __typename: 'Customer', id })),
      }),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities.map((c: any) => c.purchases.edges.length)).toEqual(ids.map((_, i) => Math.min((i % 3) + 1, 2)));
    expect(result.data._entities.map((c: any) => c.purchases.pageInfo.hasNextPage)).toEqual(ids.map((_, i) => (i % 3) + 1 > 2));
    expect(result.data._entities[2].purchases.edges[0].node.orderReference).toMatch(new RegExp(`^BATCH-${ids[2]}-`));
    expect(queries.filter((q) => /"purchases"/.test(q))).toHaveLength(1);
    expect(queries).toHaveLength(2); // the customers, then their purchases
  });
});
