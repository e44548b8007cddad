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

/** A customer enrolled in loyalty at `tier`. */
async function member(tier: string) {
  const email = `lounge.${Math.random().toString(36).slice(2, 9)}@example.com`;
  const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'INDIVIDUAL', firstName: 'Lucía', lastName: 'Martín', primaryEmail: email },
  }, admin);
  const customerId = created.data.createCustomer.id as string;
  const enrolled = await post(t.url, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { tier } }', { input: { customerId, tier } }, admin);
  expect(enrolled.errors).toBeUndefined();
  return customerId;
}

const ISSUE = /* GraphQL */ `
  mutation($input: IssueInvitationInput!) {
    issueInvitation(input: $input) { id status guests eligibilitySource eligibilityReason eligibilityTier }
  }
`;
const issueInput = (customerId: string, extra: Record<string, unknown> = {}) => ({
  customerId,
  loungeCode: 'MAD-VELAZQUEZ',
  validFrom: new Date(Date.now() - 60_000).toISOString(),
  validUntil: new Date(Date.now() + 4 * 3_600_000).toISOString(),
  guests: 1,
  flightNumber: 'IB6251',
  ...extra,
});

describe('a lounge invitation end to end, through the gateway and the real loyalty subgraph', () => {
  it('issues for an Oro member, gives the customer the QR, admits them at the door, and puts the visit on the timeline', async () => {
    const customerId = await member('ORO');
    const agent = bearer(await t.token('CheckInAgent'));
    const issued = await post(t.url, ISSUE, { input: issueInput(customerId) }, agent);
    expect(issued.errors).toBeUndefined();
    expect(issued.data.issueInvitation).toMatchObject({ status: 'ISSUED', guests: 1, eligibilitySource: 'LOYALTY', eligibilityReason: 'TIER', eligibilityTier: 'ORO' });
    const id = issued.data.issueInvitation.id;

    const app = bearer(await t.token('Customer', { customerId }));
    const mine = await post(t.url, 'query($id: ID!) { invitation(id: $id) { qrCode { payload pngBase64 } customer { id } } }', { id }, app);
    expect(mine.errors).toBeUndefined();
    const payload = mine.data.invitation.qrCode.payload as string;
    expect(payload).toMatch(/^LX1:/);

    const door = bearer(await t.token('LoungeDevice', { loungeCode: 'MAD-VELAZQUEZ' }));
    const VALIDATE = 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome entriesRemaining invitation { id guests status } } }';
    const scanned = await post(t.url, VALIDATE, { input: { payload, idempotencyKey: `gw-${id}-1` } }, door);
    expect(scanned.errors).toBeUndefined();
    expect(scanned.data.validateQr).toEqual({ outcome: 'ADMITTED', entriesRemaining: 1, invitation: { id, guests: 1, status: 'ISSUED' } });
    const elsewhere = bearer(await t.token('LoungeDevice', { loungeCode: 'MAD-DALI' }));
    expect((await post(t.url, VALIDATE, { input: { payload } }, elsewhere)).data.validateQr.outcome).toBe('WRONG_LOUNGE');
    expect((await post(t.url, VALIDATE, { input: { payload: `${payload.slice(0, -2)}00` } }, door)).data.validateQr.outcome).toBe('INVALID');
    // Only devices scan.
    expect((await post(t.url, VALIDATE, { input: { payload } }, agent)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const timeline = await eventually(async () => {
      const result = await post(t.url, 'query($id: ID!) { customer(id: $id) { timeline(first: 10, types: [LOUNGE_VISIT]) { edges { node { summary } } } } }', { id: customerId }, app);
      // The admission, and the refusal at the wrong lounge (recorded a moment later, in the background).
      expect(result.data.customer.timeline.edges).toHaveLength(2);
      return result.data.customer.timeline.edges;
    });
    expect(timeline.map((e: any) => e.node.summary).sort()).toEqual(['Admitted to MAD-VELAZQUEZ (1 more entry on the invitation)', 'Refused at MAD-DALI: WRONG_LOUNGE']);

    const staff = bearer(await t.token('SupportAgent'));
    const lounge = await post(t.url, '{ lounge(code: "MAD-VELAZQUEZ") { occupancy { occupancy capacity } scans(first: 5) { edges { node { outcome deviceId invitation { id } } } } } }', {}, staff);
    expect(lounge.errors).toBeUndefined();
    expect(lounge.data.lounge.occupancy).toEqual({ occupancy: 1, capacity: 400 });
    expect(lounge.data.lounge.scans.edges.map((e: any) => e.node.outcome)).toContain('ADMITTED');
  });

  it('admits exactly two of 200 simultaneous scans of a one-guest code sent through the gateway by four doors', async () => {
    const customerId = await member('ORO');
    const issued = await post(t.url, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id qrCode { payload } } }', { input: issueInput(customerId) }, admin);
    const { id, qrCode } = issued.data.issueInvitation;
    const doors = await Promise.all([1, 2, 3, 4].map((n) => t.token('LoungeDevice', { loungeCode: 'MAD-VELAZQUEZ', subject: `velazquez-door-${n}` })));
    const VALIDATE = 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome entriesRemaining } }';
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(t.url, VALIDATE, { input: { payload: qrCode.payload, idempotencyKey: `crowd-${id}-${i}` } }, bearer(doors[i % 4]!))),
    );
    expect(answers.every((a) => a.status === 200 && !a.errors)).toBe(true);
    const outcomes = answers.map((a) => a.data.validateQr.outcome);
    expect(outcomes.filter((o) => o === 'ADMITTED')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'ALREADY_USED')).toHaveLength(198);
    const staff = bearer(await t.token('SupportAgent'));
    const read = await post(t.url, 'query($id: ID!) { invitation(id: $id) { status entriesUsed entriesRemaining } }', { id }, staff);
    expect(read.data.invitation).toEqual({ status: 'USED', entriesUsed: 2, entriesRemaining: 0 });
  });

  it('refuses a Plata member in Economy with INV-002 and the reason, and admits them in Business without a guest', async () => {
    const customerId = await member('PLATA');
    const agent = bearer(await t.token('ContactCentreAgent'));
    const refused = await post(t.url, ISSUE, { input: issueInput(customerId) }, agent);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INV-002', reason: 'TIER_TOO_LOW', tier: 'PLATA' });
    const business = await post(t.url, ISSUE, { input: issueInput(customerId, { cabin: 'BUSINESS', guests: 0 }) }, agent);
    expect(business.data.issueInvitation).toMatchObject({ eligibilityReason: 'CABIN', guests: 0 });
  });

  it('keeps issuing from the last known tier while the loyalty subgraph is down, and says so', async () => {
    const asked = await member('PLATINO');
    const agent = bearer(await t.token('CheckInAgent'));
    expect((await post(t.url, ISSUE, { input: issueInput(asked) }, agent)).data.issueInvitation.eligibilitySource).toBe('LOYALTY');
    // Known from loyalty's events alone, never asked about.
    const neverAsked = await member('ORO');
    await new Promise((r) => setTimeout(r, 500));
    await t.platform.subgraphs.find((s) => s.name === 'loyalty')!.close();

    const fallback = await post(t.url, ISSUE, { input: issueInput(asked) }, agent);
    expect(fallback.errors).toBeUndefined();
    expect(fallback.data.issueInvitation).toMatchObject({ eligibilitySource: 'LAST_KNOWN_TIER', eligibilityTier: 'PLATINO' });
    const fromEvents = await eventually(async () => {
      const result = await post(t.url, ISSUE, { input: issueInput(neverAsked) }, agent);
      expect(result.errors).toBeUndefined();
      return result;
    });
    expect(fromEvents.data.issueInvitation).toMatchObject({ eligibilitySource: 'LAST_KNOWN_TIER', eligibilityTier: 'ORO' });
  });
});
