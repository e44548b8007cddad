import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, tierHistory } from '../src/db/schema.ts';
import { LOYALTY_TIERS, TIER_RULES } from '../src/domain/tiers.ts';
import { loyaltySubgraph } from '../src/index.ts';

const ENROLL = /* GraphQL */ `
  mutation($input: EnrollLoyaltyMemberInput!) {
    enrollLoyaltyMember(input: $input) {
      id memberNumber programme tier oneworldTier loungeAccess guestAllowance aviosBalance elitePoints
      tierHistory { fromTier toTier reason }
      customer { id }
    }
  }
`;

let h: SubgraphHarness;
const manager = callerWith('LoyaltyManager');

beforeAll(async () => {
  h = await startSubgraphHarness(loyaltySubgraph);
});
afterAll(() => h?.close());

describe('enrollLoyaltyMember', () => {
  it('opens a CLASICA account with a member number, its first tier change and an event', async () => {
    const customerId = randomUUID();
    const result = await h.run(manager, ENROLL, { input: { customerId } });
    expect(result.errors).toBeUndefined();
    const account = result.data.enrollLoyaltyMember;
    expect(account).toMatchObject({
      programme: 'CLUB_IBERIA_PLUS',
      tier: 'CLASICA',
      oneworldTier: 'NONE',
      loungeAccess: false,
      guestAllowance: 0,
      aviosBalance: 0,
      elitePoints: 0,
      tierHistory: [{ fromTier: null, toTier: 'CLASICA', reason: 'ENROLMENT' }],
      customer: { id: customerId },
    });
    expect(account.memberNumber).toMatch(/^IB\d{9}$/);
    const events = await h.handle.db.select().from(outbox);
    expect(events.find((e) => e.aggregateId === account.id)).toMatchObject({
      type: 'cmp.loyalty.LoyaltyMemberEnrolled',
      customerId,
      data: { accountId: account.id, customerId, memberNumber: account.memberNumber, tier: 'CLASICA' },
    });
  });

  it('refuses a second enrolment of the same customer with CONFLICT naming customerId, keeping the first', async () => {
    const customerId = randomUUID();
    const first = await h.run(manager, ENROLL, { input: { customerId, tier: 'ORO' } });
    const second = await h.run(manager, ENROLL, { input: { customerId, tier: 'PLATA' } });
    expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'customerId' });
    const read = await h.run(manager, customerEntities('loyalty { id tier }'), { representations: [{ __typename: 'Customer', id: customerId }] });
    expect(read.data._entities[0].loyalty).toEqual({ id: first.data.enrollLoyaltyMember.id, tier: 'ORO' });
    const history = await h.handle.db.select().from(tierHistory);
    expect(history.filter((r) => r.accountId === first.data.enrollLoyaltyMember.id)).toHaveLength(1);
  });

  it('numbers 100 concurrent enrolments uniquely', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () => h.run(manager, ENROLL, { input: { customerId: randomUUID(), tier: 'PLATA' } })),
    );
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(new Set(results.map((r) => r.data.enrollLoyaltyMember.memberNumber)).size).toBe(100);
  });

  it('refuses a malformed customer id and an unknown tier, naming the field', async () => {
    const bad = await h.run(manager, ENROLL, { input: { customerId: 'CUS-000001' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    const tier = await h.run(manager, ENROLL, { input: { customerId: randomUUID(), tier: 'DIAMOND' } });
    expect(tier.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.tier' });
  });

  it('lets only loyalty managers, customer managers and admins enrol', async () => {
    for (const role of ['Admin', 'CustomerManager'] as const) {
      expect((await h.run(callerWith(role), ENROLL, { input: { customerId: randomUUID() } })).errors, role).toBeUndefined();
    }
    for (const role of ['Viewer', 'SupportAgent', 'SalesRep', 'MarketingManager'] as const) {
      const result = await h.run(callerWith(role), ENROLL, { input: { customerId: randomUUID() } });
      expect(result.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('tiers', () => {
  it.each(LOYALTY_TIERS.map((t) => [t, TIER_RULES[t]] as const))('gives %s its oneworld status and lounge rights', async (tier, rule) => {
    const result = await h.run(manager, ENROLL, { input: { customerId: randomUUID(), tier } });
    expect(result.data.enrollLoyaltyMember).toMatchObject({
      tier,
      oneworldTier: rule.oneworld,
      loungeAccess: rule.loungeAccess,
      guestAllowance: rule.guestAllowance,
    });
  });

  it('follows DOMAIN.md: lounge with one guest from Oro up, Emerald from Platino up', () => {
    expect(LOYALTY_TIERS.filter((t) => TIER_RULES[t].loungeAccess)).toEqual(['ORO', 'PLATINO', 'PLATINO_PRIME', 'INFINITA', 'INFINITA_PRIME']);
    expect(LOYALTY_TIERS.filter((t) => TIER_RULES[t].oneworld === 'EMERALD')).toEqual(['PLATINO', 'PLATINO_PRIME', 'INFINITA', 'INFINITA_PRIME']);
    expect(TIER_RULES.PLATA.oneworld).toBe('RUBY');
  });
});

describe('Customer.loyalty', () => {
  it('resolves the accounts of two customers in one _entities call, each its own', async () => {
    const [a, b, none] = [randomUUID(), randomUUID(), randomUUID()];
    await h.run(manager, ENROLL, { input: { customerId: a, tier: 'ORO' } });
    await h.run(manager, ENROLL, { input: { customerId: b, tier: 'INFINITA' } });
    const result = await h.run(callerWith('Viewer'), customerEntities('loyalty { tier customer { id } }'), {
      representations: [a, b, none].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([
      { id: a, loyalty: { tier: 'ORO', customer: { id: a } } },
      { id: b, loyalty: { tier: 'INFINITA', customer: { id: b } } },
      { id: none, loyalty: null },
    ]);
  });

  it('shows a Customer token its own account and refuses another customer', async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    await h.run(manager, ENROLL, { input: { customerId: mine } });
    await h.run(manager, ENROLL, { input: { customerId: theirs } });
    const me = callerWith('Customer', { customerId: mine });
    const own = await h.run(me, customerEntities('loyalty { tier }'), { representations: [{ __typename: 'Customer', id: mine }] });
    expect(own.data._entities[0].loyalty).toEqual({ tier: 'CLASICA' });
    const other = await h.run(me, customerEntities('loyalty { tier }'), { representations: [{ __typename: 'Customer', id: theirs }] });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
