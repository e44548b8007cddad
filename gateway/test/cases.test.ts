import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';

let t: TestPlatform;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestPlatform();
  admin = bearer(await t.token('Admin'));
});
afterAll(async () => {
  await t?.close();
});

describe('a complaint end to end, through the gateway', () => {
  it('resolves a case with an unsatisfied customer and the interaction subgraph opens a follow-up task for the agent', async () => {
    const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Elena', lastName: 'Sanz', primaryEmail: `elena.${Date.now()}@example.com` },
    }, admin);
    const customerId = created.data.createCustomer.id;
    const affairs = bearer(await t.token('CustomerAffairsExecutive', { subject: 'affairs-carmen' }));
    const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id caseNumber } }', {
      input: { customerId, subject: 'Cancelled IB3250', description: 'Cancelled two days before, asking for compensation.', category: 'FLIGHT_DISRUPTION', priority: 'HIGH' },
    }, affairs);
    const { id, caseNumber } = opened.data.openCase;
    await post(t.url, 'mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { status } }', { input: { caseId: id, status: 'IN_PROGRESS', note: 'Checking the flight' } }, affairs);
    const resolved = await post(t.url, 'mutation($input: ResolveCaseInput!) { resolveCase(input: $input) { status resolutionMinutes } }', {
      input: { caseId: id, resolution: 'Offered a refund of the unused segment; the customer wanted cash compensation.', customerSatisfied: false },
    }, affairs);
    expect(resolved.errors).toBeUndefined();
    expect(resolved.data.resolveCase.status).toBe('RESOLVED');

    const tasks = await eventually(async () => {
      const read = await post(t.url, 'query($id: ID!) { customer(id: $id) { followUpTasks { title priority assignee overdue sourceType sourceId } } }', { id: customerId }, affairs);
      expect(read.errors).toBeUndefined();
      expect(read.data.customer.followUpTasks).toHaveLength(1);
      return read.data.customer.followUpTasks;
    });
    expect(tasks[0]).toMatchObject({ priority: 'HIGH', assignee: 'affairs-carmen', overdue: false, sourceType: 'Case', sourceId: id });
    expect(tasks[0].title).toContain(caseNumber);
  });

  it('calculates EU 261 compensation through the gateway by the public name', async () => {
    const viewer = bearer(await t.token('Viewer'));
    const result = await post(t.url, 'query($input: CompensationInput!) { calculateCompensation(input: $input) { eligible amount { amountMinor currency } reductionApplied distanceKm rule trace } }', {
      input: {
        kind: 'DELAY',
        origin: 'MAD',
        destination: 'JFK',
        operatingCarrier: 'IB',
        scheduledDeparture: '2026-06-01T10:00:00Z',
        scheduledArrival: '2026-06-01T18:30:00Z',
        actualArrival: '2026-06-01T23:30:00Z',
      },
    }, viewer);
    expect(result.errors).toBeUndefined();
    expect(result.data.calculateCompensation).toMatchObject({ eligible: true, amount: { amountMinor: 60_000, currency: 'EUR' }, reductionApplied: false, rule: 'EU261_ART7_DELAY' });
  });
});
