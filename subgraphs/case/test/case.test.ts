import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseHistory, outbox } from '../src/db/schema.ts';
import { formatCaseNumber } from '../src/domain/rules.ts';
import { caseSubgraph } from '../src/index.ts';

const OPEN = /* GraphQL */ `
  mutation($input: OpenCaseInput!) {
    openCase(input: $input) {
      id caseNumber subject description category priority status openedVia
      history { fromStatus toStatus note }
      customer { id }
    }
  }
`;

let h: SubgraphHarness;
const agent = callerWith('SupportAgent');
const complaint = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  subject: 'Bag not delivered on IB3166',
  description: 'The bag with tag IB123456 did not arrive at Madrid T4S.',
  category: 'BAGGAGE',
  ...overrides,
});

beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
});
afterAll(() => h?.close());

describe('openCase', () => {
  it('opens a NEW case numbered for today with its first history entry and a CustomerComplaintReceived event', async () => {
    const customerId = randomUUID();
    const result = await h.run(agent, OPEN, { input: complaint(customerId, { priority: 'HIGH' }) });
    expect(result.errors).toBeUndefined();
    const opened = result.data.openCase;
    expect(opened).toMatchObject({
      status: 'NEW',
      priority: 'HIGH',
      category: 'BAGGAGE',
      openedVia: 'AGENT',
      history: [{ fromStatus: null, toStatus: 'NEW', note: 'Case opened' }],
      customer: { id: customerId },
    });
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(opened.caseNumber).toMatch(new RegExp(`^COMP-${today}-\\d{4}$`));
    const [event] = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === opened.id);
    expect(event).toMatchObject({
      type: 'cmp.case.CustomerComplaintReceived',
      customerId,
      data: { caseId: opened.id, caseNumber: opened.caseNumber, category: 'BAGGAGE', priority: 'HIGH' },
    });
  });

  it('defaults the priority to MEDIUM', async () => {
    const result = await h.run(agent, OPEN, { input: complaint(randomUUID()) });
    expect(result.data.openCase.priority).toBe('MEDIUM');
  });

  it('numbers 100 concurrent openings uniquely and consecutively', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => h.run(agent, OPEN, { input: complaint(randomUUID()) })));
    expect(results.every((r) => !r.errors)).toBe(true);
    const sequences = results.map((r) => Number(r.data.openCase.caseNumber.split('-')[2])).sort((a, b) => a - b);
    expect(new Set(sequences).size).toBe(100);
    expect(sequences.at(-1)! - sequences[0]!).toBe(99);
  });

  it('grows the day counter past 9999 without truncating', () => {
    expect(formatCaseNumber(new Date('2026-03-05T23:59:00Z'), 7)).toBe('COMP-20260305-0007');
    expect(formatCaseNumber(new Date('2026-03-05T23:59:00Z'), 12345)).toBe('COMP-20260305-12345');
  });

  it.each([
    ['subject', { subject: '' }, /required/],
    ['subject', { subject: 'x'.repeat(501) }, /at most 500/],
    ['description', { description: 'x'.repeat(5001) }, /at most 5000/],
    ['customerId', { customerId: 'someone' }, /UUID/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides, message) => {
    const before = (await h.handle.db.select().from(caseHistory)).length;
    const result = await h.run(agent, OPEN, { input: complaint(randomUUID(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(caseHistory)).length).toBe(before);
  });

  it('lets a Customer open a case for itself only, marked as self-service', async () => {
    const mine = randomUUID();
    const me = callerWith('Customer', { customerId: mine });
    const own = await h.run(me, OPEN, { input: complaint(mine) });
    expect(own.data.openCase.openedVia).toBe('SELF_SERVICE');
    const other = await h.run(me, OPEN, { input: complaint(randomUUID()) });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses roles that do not handle complaints', async () => {
    for (const role of ['Viewer', 'SalesRep', 'LoyaltyManager'] as const) {
      const result = await h.run(callerWith(role), OPEN, { input: complaint(randomUUID()) });
      expect(result.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('reading cases', () => {
  it('lists two customers\' cases in one _entities call, newest first, each its own, filtered by status', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const a1 = (await h.run(agent, OPEN, { input: complaint(a, { subject: 'first' }) })).data.openCase;
    const a2 = (await h.run(agent, OPEN, { input: complaint(a, { subject: 'second' }) })).data.openCase;
    const b1 = (await h.run(agent, OPEN, { input: complaint(b, { subject: 'only' }) })).data.openCase;
    const result = await h.run(callerWith('Viewer'), customerEntities('cases { id subject } newOnes: cases(status: [NEW]) { id } closed: cases(status: [CLOSED]) { id }'), {
      representations: [a, b].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([
      { id: a, cases: [{ id: a2.id, subject: 'second' }, { id: a1.id, subject: 'first' }], newOnes: [{ id: a2.id }, { id: a1.id }], closed: [] },
      { id: b, cases: [{ id: b1.id, subject: 'only' }], newOnes: [{ id: b1.id }], closed: [] },
    ]);
  });

  it('shows a case to its customer and refuses another customer', async () => {
    const owner = randomUUID();
    const opened = (await h.run(agent, OPEN, { input: complaint(owner) })).data.openCase;
    const query = 'query($id: ID!) { case(id: $id) { caseNumber } }';
    const own = await h.run(callerWith('Customer', { customerId: owner }), query, { id: opened.id });
    expect(own.data.case.caseNumber).toBe(opened.caseNumber);
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), query, { id: opened.id });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
