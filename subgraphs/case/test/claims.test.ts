import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../src/db/schema.ts';
import { caseSubgraph } from '../src/index.ts';

const OPEN = 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }';
const FILE = /* GraphQL */ `
  mutation($caseId: ID!, $input: CompensationInput!) {
    fileCompensationClaim(caseId: $caseId, input: $input) { id status amount { amountMinor currency } decision { eligible rule trace } filedBy }
  }
`;
const APPROVE = 'mutation($id: ID!, $note: String!) { approveCompensation(claimId: $id, note: $note) { id status decidedBy decisionNote } }';
const REJECT = 'mutation($id: ID!, $note: String!) { rejectCompensation(claimId: $id, note: $note) { id status } }';
const PAY = 'mutation($id: ID!, $ref: String!) { recordCompensationPayment(claimId: $id, paymentReference: $ref) { id status paymentReference paidAt } }';

let h: SubgraphHarness;
const agent = callerWith('SupportAgent', { subject: 'agent-ana' });
const executive = callerWith('CustomerAffairsExecutive', { subject: 'exec-luis' });
const departure = new Date('2026-03-10T10:00:00Z');
const delayed = (hoursLate: number) => ({
  kind: 'DELAY',
  origin: 'MAD',
  destination: 'JFK',
  operatingCarrier: 'IB',
  scheduledDeparture: departure.toISOString(),
  scheduledArrival: new Date(departure.getTime() + 8.5 * 3_600_000).toISOString(),
  actualArrival: new Date(departure.getTime() + (8.5 + hoursLate) * 3_600_000).toISOString(),
});

beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
});
afterAll(() => h?.close());

async function openCase(customerId = randomUUID()) {
  const opened = await h.run(agent, OPEN, {
    input: { customerId, subject: 'IB6251 arrived 5 hours late', description: 'Asking for EU 261 compensation.', category: 'FLIGHT_DISRUPTION' },
  });
  return opened.data.openCase.id as string;
}

describe('compensation claims on a case', () => {
  it('files, approves (four eyes) and pays a claim, with an event at each step', async () => {
    const caseId = await openCase();
    const filed = await h.run(agent, FILE, { caseId, input: delayed(5) });
    expect(filed.errors).toBeUndefined();
    const claim = filed.data.fileCompensationClaim;
    expect(claim).toMatchObject({ status: 'PENDING_APPROVAL', amount: { amountMinor: 60_000, currency: 'EUR' }, decision: { eligible: true, rule: 'EU261_ART7_DELAY' }, filedBy: 'agent-ana' });
    expect(claim.decision.trace.length).toBeGreaterThan(3);

    expect((await h.run(agent, APPROVE, { id: claim.id, note: 'ok' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const selfApproval = await h.run(callerWith('CustomerAffairsExecutive', { subject: 'agent-ana' }), APPROVE, { id: claim.id, note: 'Looks right' });
    expect(selfApproval.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringMatching(/someone other than/) });
    expect((await h.run(executive, PAY, { id: claim.id, ref: 'SEPA-2026-0001' })).errors?.[0]?.extensions).toMatchObject({ code: 'COMP-004', status: 'PENDING_APPROVAL' });

    const approved = await h.run(executive, APPROVE, { id: claim.id, note: 'Delay confirmed by ops log' });
    expect(approved.data.approveCompensation).toMatchObject({ status: 'APPROVED', decidedBy: 'exec-luis', decisionNote: 'Delay confirmed by ops log' });
    expect((await h.run(executive, REJECT, { id: claim.id, note: 'changed my mind' })).errors?.[0]?.extensions).toMatchObject({ code: 'COMP-004', status: 'APPROVED' });
    const paid = await h.run(executive, PAY, { id: claim.id, ref: 'SEPA-2026-0001' });
    expect(paid.data.recordCompensationPayment).toMatchObject({ status: 'PAID', paymentReference: 'SEPA-2026-0001' });

    const types = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, caseId))).map((e) => e.type);
    expect(types).toEqual(['cmp.case.CustomerComplaintReceived', 'cmp.case.CompensationClaimFiled', 'cmp.case.CompensationApproved', 'cmp.case.CompensationPaid']);
    const onCase = await h.run(agent, 'query($id: ID!) { case(id: $id) { compensationClaim { status amount { amountMinor } } } }', { id: caseId });
    expect(onCase.data.case.compensationClaim).toEqual({ status: 'PAID', amount: { amountMinor: 60_000 } });
  });

  it('marks an ineligible claim NOT_ELIGIBLE with its reason, refuses a second claim on the case, and lets one of two approvers win', async () => {
    const short = await openCase();
    const notOwed = await h.run(agent, FILE, { caseId: short, input: delayed(2) });
    expect(notOwed.data.fileCompensationClaim).toMatchObject({ status: 'NOT_ELIGIBLE', amount: { amountMinor: 0 }, decision: { eligible: false, rule: 'EU261_DELAY_UNDER_3H' } });
    expect((await h.run(agent, FILE, { caseId: short, input: delayed(6) })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await h.run(executive, APPROVE, { id: notOwed.data.fileCompensationClaim.id, note: 'pay anyway' })).errors?.[0]?.extensions?.code).toBe('COMP-004');

    const contested = await openCase();
    const claim = (await h.run(agent, FILE, { caseId: contested, input: delayed(3.5) })).data.fileCompensationClaim;
    expect(claim.amount.amountMinor).toBe(30_000);
    const decisions = await Promise.all([
      h.run(executive, APPROVE, { id: claim.id, note: 'Approved by Luis' }),
      h.run(callerWith('CustomerAffairsExecutive', { subject: 'exec-marta' }), REJECT, { id: claim.id, note: 'Rejected by Marta' }),
    ]);
    expect(decisions.filter((d) => !d.errors)).toHaveLength(1);
    expect(decisions.filter((d) => d.errors?.[0]?.extensions?.code === 'COMP-004')).toHaveLength(1);
  });

  it('keeps customers out of filing and deciding, and names a bad disruption field', async () => {
    const customerId = randomUUID();
    const caseId = await openCase(customerId);
    const me = callerWith('Customer', { customerId });
    expect((await h.run(me, FILE, { caseId, input: delayed(5) })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await h.run(agent, FILE, { caseId, input: { ...delayed(5), origin: 'QQQ' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'origin' });
  });
});
