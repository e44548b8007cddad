import { randomUUID } from 'node:crypto';
import type { Caller } from '@cmp/platform';
import { callerWith, customerEntities, recordQueries, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers, outbox, trips } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }
`;
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordTripInput!) {
    recordTrip(input: $input) {
      id pnr ticketNumber flightNumber origin destination scheduledDeparture scheduledArrival
      actualDeparture actualArrival cabin status bagTags
    }
  }
`;
const HISTORY = /* GraphQL */ `
  query Travel($id: ID!, $first: Int, $after: String) {
    customer(id: $id) {
      travelHistory(first: $first, after: $after) {
        edges { cursor node { flightNumber scheduledDeparture } }
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
    input: { type: 'INDIVIDUAL', firstName: 'Jon', lastName: 'Arce', primaryEmail: `jon.${randomUUID().slice(0, 8)}@example.com` },
  });
  expect(result.errors).toBeUndefined();
  return result.data.createCustomer.id;
}

let ticket = 0;
const nextTicket = () => `075${String(Date.now() % 1e6).padStart(6, '0')}${String(++ticket).padStart(4, '0')}`;

const trip = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  pnr: 'x7k2qa',
  ticketNumber: nextTicket(),
  flightNumber: 'IB3166',
  origin: 'mad',
  destination: 'LHR',
  scheduledDeparture: '2026-05-10T07:15:00.000Z',
  scheduledArrival: '2026-05-10T09:35:00.000Z',
  cabin: 'BUSINESS',
  status: 'BOOKED',
  bagTags: ['0075123456'],
  ...overrides,
});

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('recordTrip', () => {
  it('records a flight with normalised codes and a TripRecorded event', async () => {
    const id = await newCustomer();
    const input = trip(id);
    const result = await run(admin, RECORD, { input });
    expect(result.errors).toBeUndefined();
    expect(result.data.recordTrip).toMatchObject({
      pnr: 'X7K2QA',
      ticketNumber: input.ticketNumber,
      flightNumber: 'IB3166',
      origin: 'MAD',
      destination: 'LHR',
      scheduledDeparture: new Date('2026-05-10T07:15:00.000Z'),
      cabin: 'BUSINESS',
      status: 'BOOKED',
      bagTags: ['0075123456'],
      actualArrival: null,
    });
    const [event] = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).filter((e) => e.type === 'cmp.customer.TripRecorded');
    expect(event).toMatchObject({ aggregateType: 'Customer', aggregateId: id, data: { tripId: result.data.recordTrip.id, created: true, flightNumber: 'IB3166', origin: 'MAD' } });
  });

  it('updates the same ticket, flight and departure in place as the trip goes on', async () => {
    const id = await newCustomer();
    const input = trip(id);
    const booked = (await run(admin, RECORD, { input })).data.recordTrip;
    const flown = await run(admin, RECORD, {
      input: { ...input, status: 'FLOWN', actualDeparture: '2026-05-10T07:40:00.000Z', actualArrival: '2026-05-10T09:58:00.000Z', bagTags: ['0075123456', '0075123457'] },
    });
    expect(flown.errors).toBeUndefined();
    expect(flown.data.recordTrip).toMatchObject({ id: booked.id, status: 'FLOWN', actualArrival: new Date('2026-05-10T09:58:00.000Z'), bagTags: ['0075123456', '0075123457'] });
    expect(await h.handle.db.select().from(trips).where(eq(trips.customerId, id))).toHaveLength(1);
    const recorded = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).filter((e) => e.type === 'cmp.customer.TripRecorded');
    expect(recorded.map((e) => e.data.created).sort()).toEqual([false, true]);
    // Another departure of the same ticket and flight is another trip.
    await run(admin, RECORD, { input: { ...input, scheduledDeparture: '2026-05-17T07:15:00.000Z', scheduledArrival: '2026-05-17T09:35:00.000Z' } });
    expect(await h.handle.db.select().from(trips).where(eq(trips.customerId, id))).toHaveLength(2);
  });

  it("answers CONFLICT naming ticketNumber for a flight already on another customer's history", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const input = trip(a);
    await run(admin, RECORD, { input });
    const result = await run(admin, RECORD, { input: { ...input, customerId: b, status: 'FLOWN' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'ticketNumber' });
    const [kept] = await h.handle.db.select().from(trips).where(eq(trips.ticketNumber, input.ticketNumber));
    expect(kept).toMatchObject({ customerId: a, status: 'BOOKED' });
  });

  it.each([
    ['pnr', { pnr: 'ABC12' }, /6-character/],
    ['pnr', { pnr: 'ABC-12' }, /6-character/],
    ['ticketNumber', { ticketNumber: '07512345678' }, /13-digit/],
    ['flightNumber', { flightNumber: 'IB12345' }, /IB3166/],
    ['flightNumber', { flightNumber: '123' }, /IB3166/],
    ['origin', { origin: 'MADR' }, /3-letter IATA/],
    ['destination', { destination: 'MAD' }, /differ from the origin/],
    ['scheduledArrival', { scheduledArrival: '2026-05-10T07:15:00.000Z' }, /after the scheduled departure/],
    ['actualArrival', { actualDeparture: '2026-05-10T08:00:00.000Z', actualArrival: '2026-05-10T07:59:00.000Z' }, /after the actual departure/],
    ['bagTags[1]', { bagTags: ['0075123456', '12345'] }, /10-digit/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it', async (field, overrides, message) => {
    const id = await newCustomer();
    const result = await run(admin, RECORD, { input: trip(id, overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('accepts flight numbers with a digit in the airline code and a suffix letter', async () => {
    const id = await newCustomer();
    for (const flightNumber of ['U21234', '3K512', 'IB3166A', 'VY1']) {
      const result = await run(admin, RECORD, { input: trip(id, { flightNumber }) });
      expect(result.errors, flightNumber).toBeUndefined();
    }
  });

  it('refuses unknown (CUST-001) and deactivated (CUST-004) customers, and callers without update rights', async () => {
    expect((await run(admin, RECORD, { input: trip(randomUUID()) })).errors?.[0]?.extensions?.code).toBe('CUST-001');
    const id = await newCustomer();
    for (const caller of [callerWith('Viewer'), callerWith('Customer', { customerId: id })]) {
      expect((await run(caller, RECORD, { input: trip(id) })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'gone' }).where(eq(customers.id, id));
    expect((await run(admin, RECORD, { input: trip(id) })).errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect(await h.handle.db.select().from(trips).where(eq(trips.customerId, id))).toHaveLength(0);
  });
});

describe('Customer.travelHistory', () => {
  it('lists the latest departure first, paging by cursor', async () => {
    const id = await newCustomer();
    const days = ['03', '01', '05', '02', '04'];
    for (const day of days) {
      const r = await run(admin, RECORD, { input: trip(id, { scheduledDeparture: `2026-06-${day}T10:00:00.000Z`, scheduledArrival: `2026-06-${day}T12:00:00.000Z` }) });
      expect(r.errors).toBeUndefined();
    }
    const first = (await run(admin, HISTORY, { id, first: 3 })).data.customer.travelHistory;
    expect(first.edges.map((e: any) => new Date(e.node.scheduledDeparture).toISOString().slice(0, 10))).toEqual(['2026-06-05', '2026-06-04', '2026-06-03']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await run(admin, HISTORY, { id, first: 3, after: first.pageInfo.endCursor })).data.customer.travelHistory;
    expect(rest.edges.map((e: any) => new Date(e.node.scheduledDeparture).toISOString().slice(0, 10))).toEqual(['2026-06-02', '2026-06-01']);
    expect(rest.pageInfo).toMatchObject({ hasNextPage: false });
    const bad = await run(admin, HISTORY, { id, first: 101 });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('shows a Customer token its own travel and nobody else’s', async () => {
    const mine = await newCustomer();
    const other = await newCustomer();
    await run(admin, RECORD, { input: trip(mine) });
    const self = callerWith('Customer', { customerId: mine });
    expect((await run(self, HISTORY, { id: mine })).data.customer.travelHistory.edges).toHaveLength(1);
    expect((await run(self, HISTORY, { id: other })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("reads 20 customers' travel history through _entities in one query", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await newCustomer();
      ids.push(id);
      for (let j = 0; j <= i % 2; j++) {
        await run(admin, RECORD, { input: trip(id, { scheduledDeparture: `2026-07-0${j + 1}T10:00:00.000Z`, scheduledArrival: `2026-07-0${j + 1}T12:00:00.000Z` }) });
      }
    }
    const { result, queries } = await recordQueries(h.handle.db, () =>
      run(admin, customerEntities('travelHistory(first: 5) { edges { node { flightNumber bagTags scheduledDeparture } } }'), {
        representations: ids.map((id) => ({ __typename: 'Customer', id })),
      }),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities.map((c: any) => c.travelHistory.edges.length)).toEqual(ids.map((_, i) => (i % 2) + 1));
    expect(result.data._entities[1].travelHistory.edges[0].node).toEqual({ flightNumber: 'IB3166', bagTags: ['0075123456'], scheduledDeparture: new Date('2026-07-02T10:00:00.000Z') });
    expect(queries.filter((q) => /"trips"/.test(q))).toHaveLength(1);
    expect(queries).toHaveLength(2);
  });
});
