import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { invitations, knownTiers, lounges, outbox } from '../src/db/schema.ts';
import { expireInvitations } from '../src/domain/lifecycle.ts';
import { invitationSubgraph } from '../src/index.ts';
import { ISSUE, agent, hours, invite, startLoyaltyStandIn, testRuntime, type LoyaltyStandIn } from './support.ts';

let h: SubgraphHarness;
let loyalty: LoyaltyStandIn;

beforeAll(async () => {
  h = await startSubgraphHarness(invitationSubgraph);
  loyalty = await startLoyaltyStandIn();
  await testRuntime(h.handle.db, loyalty.url);
});
afterAll(async () => {
  await h?.close();
  await loyalty?.close();
});

/** A customer loyalty knows with `tier`. */
const member = (tier: string | null = 'ORO') => {
  const id = randomUUID();
  loyalty.tiers.set(id, tier);
  return id;
};

describe('lounges', () => {
  it('has the three Madrid T4 lounges after migration, and seeding again changes nothing', async () => {
    await invitationSubgraph.seedReferenceData!(h.handle.db);
    const rows = await h.handle.db.select().from(lounges);
    expect(rows.map((l) => [l.code, l.terminal]).sort()).toEqual([
      ['MAD-DALI', 'T4'],
      ['MAD-GOYA', 'T4S'],
      ['MAD-VELAZQUEZ', 'T4S'],
    ]);
    const listed = await h.run(callerWith('Viewer'), '{ lounges { code name } }');
    expect(listed.data.lounges).toContainEqual({ code: 'MAD-DALI', name: 'Sala VIP Dalí' });
  });
});

describe('issueInvitation', () => {
  it('issues an invitation with the normalised flight and an InvitationIssued event for the CRM', async () => {
    const customerId = member();
    const result = await h.run(agent, ISSUE, { input: invite(customerId) });
    expect(result.errors).toBeUndefined();
    const issued = result.data.issueInvitation;
    expect(issued).toMatchObject({
      status: 'ISSUED',
      loungeCode: 'MAD-VELAZQUEZ',
      guests: 1,
      entriesUsed: 0,
      flightNumber: 'IB6253',
      cabin: 'ECONOMY',
      eligibilitySource: 'LOYALTY',
      eligibilityReason: 'TIER',
      eligibilityTier: 'ORO',
      entriesRemaining: 2,
      sentCount: 1,
      lounge: { code: 'MAD-VELAZQUEZ', terminal: 'T4S', name: 'Sala VIP Velázquez', capacity: 400 },
      customer: { id: customerId },
    });
    const [event] = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === issued.id);
    expect(event).toMatchObject({
      type: 'cmp.invitation.InvitationIssued',
      customerId,
      data: { invitationId: issued.id, loungeCode: 'MAD-VELAZQUEZ', guests: 1, flightNumber: 'IB6253', validUntil: new Date(issued.validUntil).toISOString() },
    });
  });

  it.each([
    ['loungeCode', { loungeCode: 'LHR-GALLERIES' }, /MAD-DALI/],
    ['validUntil', { validFrom: hours(2), validUntil: hours(1) }, /after validFrom/],
    ['validUntil', { validFrom: hours(-5), validUntil: hours(-1) }, /future/],
    ['validUntil', { validFrom: hours(0), validUntil: hours(49) }, /48 hours/],
    ['guests', { guests: 2 }, /0 to 1/],
    ['guests', { guests: -1 }, /0 to 1/],
    ['flightNumber', { flightNumber: 'Iberia 6253' }, /IATA/],
    ['customerId', { customerId: '42' }, /UUID/],
    ['input.cabin', { cabin: 'COACH' }, /Cabin/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides, message) => {
    const before = (await h.handle.db.select().from(invitations)).length;
    const result = await h.run(agent, ISSUE, { input: invite(member(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(invitations)).length).toBe(before);
  });

  it('lets contact-centre and check-in agents issue, and refuses roles without the privilege', async () => {
    for (const role of ['ContactCentreAgent', 'CheckInAgent', 'CustomerManager', 'Admin'] as const) {
      expect((await h.run(callerWith(role), ISSUE, { input: invite(member()) })).errors, role).toBeUndefined();
    }
    for (const role of ['SupportAgent', 'Viewer', 'SalesRep'] as const) {
      expect((await h.run(callerWith(role), ISSUE, { input: invite(member()) })).errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    const customer = member();
    const self = await h.run(callerWith('Customer', { customerId: customer }), ISSUE, { input: invite(customer) });
    expect(self.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('reading invitations', () => {
  it('lists two customers\' invitations in one _entities call, each its own, filtered by status', async () => {
    const [a, b] = [member(), member()];
    const a1 = (await h.run(agent, ISSUE, { input: invite(a, { loungeCode: 'MAD-DALI' }) })).data.issueInvitation;
    const b1 = (await h.run(agent, ISSUE, { input: invite(b, { loungeCode: 'MAD-GOYA', guests: 0 }) })).data.issueInvitation;
    const result = await h.run(callerWith('Viewer'), customerEntities('invitations { id loungeCode } used: invitations(status: [USED]) { id }'), {
      representations: [a, b].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([
      { id: a, invitations: [{ id: a1.id, loungeCode: 'MAD-DALI' }], used: [] },
      { id: b, invitations: [{ id: b1.id, loungeCode: 'MAD-GOYA' }], used: [] },
    ]);
  });

  it('shows an invitation to its customer and refuses another customer', async () => {
    const owner = member();
    const issued = (await h.run(agent, ISSUE, { input: invite(owner) })).data.issueInvitation;
    const query = 'query($id: ID!) { invitation(id: $id) { id status } }';
    expect((await h.run(callerWith('Customer', { customerId: owner }), query, { id: issued.id })).data.invitation).toEqual({ id: issued.id, status: 'ISSUED' });
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), query, { id: issued.id });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('eligibility from loyalty', () => {
  const issue = (customerId: string, overrides: Record<string, unknown> = {}) => h.run(agent, ISSUE, { input: invite(customerId, overrides) });

  it('refuses a tier without lounge access (INV-002 with the reason), and admits Business whatever the tier, without guests', async () => {
    const plata = member('PLATA');
    const refused = await issue(plata);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INV-002', reason: 'TIER_TOO_LOW', tier: 'PLATA' });
    const stranger = await issue(member(null), { guests: 0 });
    expect(stranger.errors?.[0]?.extensions).toMatchObject({ code: 'INV-002', reason: 'NOT_A_MEMBER' });

    const business = await issue(plata, { cabin: 'BUSINESS', guests: 0 });
    expect(business.data.issueInvitation).toMatchObject({ eligibilityReason: 'CABIN', eligibilitySource: 'LOYALTY', guests: 0, cabin: 'BUSINESS' });
    const withGuest = await issue(plata, { cabin: 'BUSINESS', guests: 1 });
    expect(withGuest.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'guests' });
    expect(withGuest.errors?.[0]?.message).toMatch(/at most 0 guest/);
  });

  it('forwards the caller\'s token, and when loyalty fails uses the last tier it confirmed, saying so', async () => {
    const oro = member('ORO');
    expect((await issue(oro)).data.issueInvitation.eligibilitySource).toBe('LOYALTY');
    expect(loyalty.lastAuthorization).toBe(`Bearer ${agent.token}`);
    loyalty.mode = 'error';
    try {
      const fallback = await issue(oro);
      expect(fallback.errors).toBeUndefined();
      expect(fallback.data.issueInvitation).toMatchObject({ eligibilitySource: 'LAST_KNOWN_TIER', eligibilityTier: 'ORO', guests: 1 });
      // Never asked before: nothing to fall back on, a retryable refusal; nothing stored.
      const before = (await h.handle.db.select().from(invitations)).length;
      const unknown = await issue(member('ORO'));
      expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'INV-003', retryable: true });
      expect((await h.handle.db.select().from(invitations)).length).toBe(before);
      // A Business ticket needs no tier.
      const cabin = await issue(member('ORO'), { cabin: 'FIRST', guests: 0 });
      expect(cabin.data.issueInvitation).toMatchObject({ eligibilitySource: 'CABIN', eligibilityReason: 'CABIN' });
    } finally {
      loyalty.mode = 'ok';
    }
  });

  it('refuses a last known tier older than the configured age', async () => {
    const oro = member('ORO');
    await issue(oro);
    await h.handle.db.update(knownTiers).set({ asOf: new Date(Date.now() - 2 * 3_600_000) }).where(eq(knownTiers.customerId, oro));
    loyalty.mode = 'error';
    try {
      expect((await issue(oro)).errors?.[0]?.extensions).toMatchObject({ code: 'INV-003', retryable: true });
    } finally {
      loyalty.mode = 'ok';
    }
  });

  it('bounds a slow loyalty by its timeout and stops asking once the circuit opens', async () => {
    const runtime = await testRuntime(h.handle.db, loyalty.url);
    const oro = member('ORO');
    await issue(oro);
    loyalty.mode = 'slow';
    try {
      const started = Date.now();
      const slow = await issue(oro);
      expect(slow.data.issueInvitation.eligibilitySource).toBe('LAST_KNOWN_TIER');
      expect(Date.now() - started).toBeLessThan(2_000); // two attempts of 300 ms and a short backoff
      for (let i = 0; i < 3; i += 1) await issue(oro);
      expect(runtime.eligibility.client!.circuit).toBe('OPEN');
      const callsWhenOpen = loyalty.calls;
      expect((await issue(oro)).data.issueInvitation.eligibilitySource).toBe('LAST_KNOWN_TIER');
      expect(loyalty.calls).toBe(callsWhenOpen);
    } finally {
      loyalty.mode = 'ok';
      await testRuntime(h.handle.db, loyalty.url);
    }
  });
});

describe('revocation, resend and expiry', () => {
  const REVOKE = 'mutation($id: ID!, $reason: String!) { revokeInvitation(id: $id, reason: $reason) { id status revokedAt revocationReason } }';
  const RESEND = 'mutation($id: ID!) { resendInvitation(id: $id) { id sentCount } }';
  const eventsOf = async (id: string) => (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === id).map((e) => e.type);

  it('revokes an issued invitation once, with a reason, and says why it cannot twice', async () => {
    const issued = (await h.run(agent, ISSUE, { input: invite(member()) })).data.issueInvitation;
    expect((await h.run(agent, REVOKE, { id: issued.id, reason: 'x' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const revoked = await h.run(agent, REVOKE, { id: issued.id, reason: 'Flight cancelled' });
    expect(revoked.data.revokeInvitation).toMatchObject({ status: 'REVOKED', revocationReason: 'Flight cancelled' });
    const again = await h.run(agent, REVOKE, { id: issued.id, reason: 'Flight cancelled' });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'INV-004', status: 'REVOKED' });
    expect((await h.run(agent, REVOKE, { id: randomUUID(), reason: 'whatever' })).errors?.[0]?.extensions?.code).toBe('INV-001');
    expect(await eventsOf(issued.id)).toEqual(['cmp.invitation.InvitationIssued', 'cmp.invitation.InvitationStatusChanged']);
    expect((await h.run(callerWith('Viewer'), REVOKE, { id: issued.id, reason: 'nope' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('resends at most once a minute, with an event for the CRM each time', async () => {
    const issued = (await h.run(agent, ISSUE, { input: invite(member()) })).data.issueInvitation;
    expect((await h.run(agent, RESEND, { id: issued.id })).errors?.[0]?.extensions).toMatchObject({ code: 'INV-005' });
    await h.handle.db.update(invitations).set({ lastSentAt: new Date(Date.now() - 120_000) }).where(eq(invitations.id, issued.id));
    expect((await h.run(agent, RESEND, { id: issued.id })).data.resendInvitation).toEqual({ id: issued.id, sentCount: 2 });
    expect(await eventsOf(issued.id)).toEqual(['cmp.invitation.InvitationIssued', 'cmp.invitation.InvitationResent']);
    await h.run(agent, REVOKE, { id: issued.id, reason: 'Customer asked' });
    expect((await h.run(agent, RESEND, { id: issued.id })).errors?.[0]?.extensions).toMatchObject({ code: 'INV-004' });
  });

  it('expires ended invitations once, even with several replicas running the job at the same moment', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push((await h.run(agent, ISSUE, { input: invite(member()) })).data.issueInvitation.id);
    const live = (await h.run(agent, ISSUE, { input: invite(member(), { validUntil: hours(30) }) })).data.issueInvitation.id;
    const later = new Date(Date.now() + 7 * 3_600_000);
    const events = { source: 'cmp.invitation' };
    const counts = await Promise.all([1, 2, 3, 4].map(() => expireInvitations(h.handle.db, events, later, 7)));
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30);
    const rows = await h.handle.db.select().from(invitations).where(inArray(invitations.id, [...ids, live]));
    expect(rows.filter((r) => r.status === 'EXPIRED').map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows.find((r) => r.id === live)!.status).toBe('ISSUED');
    const changes = (await h.handle.db.select().from(outbox)).filter((e) => e.type === 'cmp.invitation.InvitationStatusChanged' && ids.includes(e.aggregateId));
    expect(changes).toHaveLength(30);
    expect(changes[0]!.data).toMatchObject({ previousStatus: 'ISSUED', status: 'EXPIRED', reason: 'VALIDITY_ENDED' });
  });
});

describe('lounge devices', () => {
  const REGISTER = 'mutation($input: RegisterLoungeDeviceInput!) { registerLoungeDevice(input: $input) { id loungeCode name enabled } }';
  const admin = callerWith('Admin');

  it('registers devices for Admin only, one lounge per device, with the rule named on bad input', async () => {
    const input = { id: 'mad-dali-door-7', loungeCode: 'mad-dali', name: 'Door 7' };
    expect((await h.run(agent, REGISTER, { input })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(admin, REGISTER, { input })).data.registerLoungeDevice).toEqual({ id: 'mad-dali-door-7', loungeCode: 'MAD-DALI', name: 'Door 7', enabled: true });
    const moved = await h.run(admin, REGISTER, { input: { ...input, loungeCode: 'MAD-GOYA' } });
    expect(moved.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const bad = await h.run(admin, REGISTER, { input: { ...input, id: 'a b' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const listed = await h.run(callerWith('Viewer'), '{ lounge(code: "MAD-DALI") { devices { id name } } }');
    expect(listed.data.lounge.devices).toContainEqual({ id: 'mad-dali-door-7', name: 'Door 7' });
  });
});

describe('lounge staff views', () => {
  it('shows today\'s invitations and scans of a lounge, paged, and occupancy against capacity', async () => {
    const customer = member();
    const mine = (await h.run(agent, ISSUE, { input: invite(customer, { loungeCode: 'MAD-GOYA', guests: 1 }) })).data.issueInvitation;
    const other = (await h.run(agent, ISSUE, { input: invite(member(), { loungeCode: 'MAD-GOYA', guests: 0, validFrom: hours(-2) }) })).data.issueInvitation;
    const query = `query($after: String, $first: Int = 1) { lounge(code: "MAD-GOYA") {
      capacity occupancy { capacity occupancy available dwellMinutes }
      invitations(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
    } }`;
    const first = await h.run(callerWith('Viewer'), query, {});
    expect(first.errors).toBeUndefined();
    expect(first.data.lounge.occupancy).toMatchObject({ capacity: 250, available: 250 - first.data.lounge.occupancy.occupancy, dwellMinutes: 180 });
    const page1 = first.data.lounge.invitations;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual([mine.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await h.run(callerWith('Viewer'), query, { after: page1.pageInfo.endCursor, first: 50 });
    expect(second.data.lounge.invitations.edges.map((e: any) => e.node.id)).toContain(other.id);
    expect((await h.run(callerWith('Viewer'), query, { after: 'nonsense' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect((await h.run(callerWith('Customer', { customerId: customer }), query, {})).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
