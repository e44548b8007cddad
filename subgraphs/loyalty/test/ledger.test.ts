import { randomUUID } from 'node:crypto';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, ledgerEntries, outbox } from '../src/db/schema.ts';
import { LOYALTY_TIERS, TIER_RULES, qualifiedTier } from '../src/domain/tiers.ts';
import { loyaltySubgraph } from '../src/index.ts';
import { ACCRUE, REDEEM, enrol, manager } from './support.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(loyaltySubgraph);
});
afterAll(() => h?.close());

const accrual = (accountId: string, overrides: Record<string, unknown> = {}) => ({
  accountId,
  externalId: randomUUID(),
  source: 'FLIGHT',
  avios: 1000,
  elitePoints: 100,
  flights: 1,
  description: 'IB6253 MAD-JFK',
  ...overrides,
});

describe('points ledger', () => {
  it('credits Avios and Elite Points, records the entry with its balance and emits PointsAccrued', async () => {
    const { accountId } = await enrol(h);
    const result = await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: 2500, elitePoints: 250 }) });
    expect(result.errors).toBeUndefined();
    expect(result.data.accruePoints).toMatchObject({
      replayed: false,
      entry: { kind: 'ACCRUAL', avios: 2500, elitePoints: 250, aviosBalanceAfter: 2500 },
      account: { aviosBalance: 2500, elitePoints: 250, tier: 'CLASICA' },
    });
    const events = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === accountId && e.type === 'cmp.loyalty.PointsAccrued');
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ avios: 2500, aviosBalance: 2500 });
  });

  it('counts a replayed externalId once and returns the first posting', async () => {
    const { accountId } = await enrol(h);
    const input = accrual(accountId, { externalId: 'coupon-075-2123456789-1' });
    const first = await h.run(manager, ACCRUE, { i: input });
    const again = await h.run(manager, ACCRUE, { i: input });
    expect(again.data.accruePoints).toMatchObject({ replayed: true, entry: { id: first.data.accruePoints.entry.id }, account: { aviosBalance: 1000 } });
    const different = await h.run(manager, ACCRUE, { i: { ...input, avios: 5 } });
    expect(different.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'externalId' });
  });

  it('keeps the balance exact under 100 concurrent accruals, replays included', async () => {
    const { accountId } = await enrol(h);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    // Every external id is posted twice at once: 100 requests, 50 distinct postings.
    const results = await Promise.all([...ids, ...ids].map((externalId) => h.run(manager, ACCRUE, { i: accrual(accountId, { externalId, avios: 10, elitePoints: 1, flights: 0 }) })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(results.filter((r) => r.data.accruePoints.replayed)).toHaveLength(50);
    const [account] = await h.handle.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account).toMatchObject({ aviosBalance: 500, elitePoints: 50 });
    expect(await h.handle.db.select().from(ledgerEntries).where(eq(ledgerEntries.accountId, accountId))).toHaveLength(50);
  });

  it('never overdraws: of 100 concurrent redemptions of 10 Avios against 500, exactly 50 succeed', async () => {
    const { accountId } = await enrol(h);
    await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: 500, elitePoints: 0, flights: 0 }) });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => h.run(manager, REDEEM, { i: { accountId, externalId: randomUUID(), avios: 10, description: 'Upgrade' } })),
    );
    const refused = results.filter((r) => r.errors);
    expect(results.length - refused.length).toBe(50);
    expect(refused.every((r) => r.errors![0]!.extensions!.code === 'LOY-001' && r.errors![0]!.extensions!.field === 'avios')).toBe(true);
    const [account] = await h.handle.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account!.aviosBalance).toBe(0);
    const balances = (await h.handle.db.select().from(ledgerEntries).where(eq(ledgerEntries.accountId, accountId))).map((e) => e.aviosBalanceAfter);
    expect(Math.min(...balances)).toBe(0);
  });

  it('expires and adjusts with their own kinds, and refuses amounts with the wrong sign', async () => {
    const { accountId } = await enrol(h);
    await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: 300, elitePoints: 0, flights: 0 }) });
    const expired = await h.run(manager, 'mutation($i: ExpireAviosInput!) { expireAvios(input: $i) { entry { kind avios } account { aviosBalance } } }', {
      i: { accountId, externalId: 'expiry-2026', avios: 100, description: '36 months without activity' },
    });
    expect(expired.data.expireAvios).toEqual({ entry: { kind: 'EXPIRY', avios: -100 }, account: { aviosBalance: 200 } });
    const adjusted = await h.run(manager, 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { entry { kind avios elitePoints } account { aviosBalance elitePoints } } }', {
      i: { accountId, externalId: 'fix-1', avios: -50, elitePoints: 20, reason: 'Duplicate partner credit' },
    });
    expect(adjusted.data.adjustPoints).toEqual({ entry: { kind: 'ADJUSTMENT', avios: -50, elitePoints: 20 }, account: { aviosBalance: 150, elitePoints: 20 } });
    const negative = await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: -5 }) });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'avios' });
    const unknown = await h.run(manager, ACCRUE, { i: accrual(randomUUID()) });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('shows the statement newest first, page by page', async () => {
    const { accountId } = await enrol(h);
    for (let n = 1; n <= 5; n++) await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: n, elitePoints: 0, flights: 0, description: `credit ${n}` }) });
    const page = async (after?: string) =>
      (await h.run(manager, `query($id: ID!, $after: String) { loyaltyAccount(id: $id) { statement(first: 2, after: $after) { edges { node { avios } } pageInfo { hasNextPage endCursor } } } }`, { id: accountId, after })).data.loyaltyAccount.statement;
    const one = await page();
    const two = await page(one.pageInfo.endCursor);
    const three = await page(two.pageInfo.endCursor);
    expect([one, two, three].flatMap((p) => p.edges.map((e: any) => e.node.avios))).toEqual([5, 4, 3, 2, 1]);
    expect(three.pageInfo.hasNextPage).toBe(false);
  });

  it('lets only loyalty managers post', async () => {
    const { accountId } = await enrol(h);
    for (const role of ['Viewer', 'SupportAgent', 'SalesRep'] as const) {
      expect((await h.run(callerWith(role), ACCRUE, { i: accrual(accountId) })).errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('tier rules', () => {
  const crossings: [string, string, Record<string, number>][] = [
    ['3,500 Elite Points', 'PLATA', { elitePoints: 3_500 }],
    ['20 flights', 'PLATA', { flights: 20 }],
    ['7,500 Elite Points', 'ORO', { elitePoints: 7_500 }],
    ['40 flights', 'ORO', { flights: 40 }],
    ['20,000 Elite Points', 'PLATINO', { elitePoints: 20_000 }],
    ['90 flights', 'PLATINO', { flights: 90 }],
    ['30,000 Elite Points', 'PLATINO_PRIME', { elitePoints: 30_000 }],
    ['400,000 lifetime Elite Points', 'INFINITA', { elitePoints: 400_000 }],
    ['640,000 lifetime Elite Points', 'INFINITA_PRIME', { elitePoints: 640_000 }],
  ];

  it.each(crossings)('upgrades at %s to %s, with history and a LoyaltyTierChanged event', async (_what, tier, amounts) => {
    const { accountId } = await enrol(h);
    const below = Object.fromEntries(Object.entries(amounts).map(([k, v]) => [k, v - 1]));
    const first = await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: 0, elitePoints: 0, flights: 0, ...below }) });
    expect(first.data.accruePoints.account.tier).not.toBe(tier);
    const crossing = await h.run(manager, ACCRUE, { i: accrual(accountId, { avios: 0, elitePoints: amounts.elitePoints ? 1 : 0, flights: amounts.flights ? 1 : 0 }) });
    expect(crossing.data.accruePoints.account.tier).toBe(tier);
    const history = await h.run(manager, 'query($id: ID!) { loyaltyAccount(id: $id) { tierExpiresAt tierHistory { fromTier toTier reason } } }', { id: accountId });
    expect(history.data.loyaltyAccount.tierHistory.at(-1)).toMatchObject({ toTier: tier, reason: 'QUALIFICATION' });
    expect(new Date(history.data.loyaltyAccount.tierExpiresAt).getUTCFullYear()).toBe(new Date().getUTCFullYear() + 1);
    const changed = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === accountId && e.type === 'cmp.loyalty.LoyaltyTierChanged');
    expect(changed.map((e) => e.data)).toContainEqual(expect.objectContaining({ toTier: tier, manual: false, reason: 'QUALIFICATION' }));
  });

  it('reaches Infinita and Infinita Prime on lifetime Elite Points', () => {
    expect(qualifiedTier({ elitePoints: 0, flights: 0, lifetimeElitePoints: 399_999 })).toBe('CLASICA');
    expect(qualifiedTier({ elitePoints: 0, flights: 0, lifetimeElitePoints: 400_000 })).toBe('INFINITA');
    expect(qualifiedTier({ elitePoints: 0, flights: 0, lifetimeElitePoints: 640_000 })).toBe('INFINITA_PRIME');
    expect(LOYALTY_TIERS.map((t) => TIER_RULES[t].elitePoints ?? null)).toEqual([null, 3_500, 7_500, 20_000, 30_000, null, null]);
  });

  it('never downgrades on activity, and lets a loyalty manager override in either direction with a reason', async () => {
    const { accountId } = await enrol(h, 'PLATINO');
    const small = await h.run(manager, ACCRUE, { i: accrual(accountId, { elitePoints: 10 }) });
    expect(small.data.accruePoints.account.tier).toBe('PLATINO');
    const OVERRIDE = 'mutation($i: OverrideLoyaltyTierInput!) { overrideLoyaltyTier(input: $i) { tier tierHistory { toTier reason } } }';
    const down = await h.run(manager, OVERRIDE, { i: { accountId, tier: 'ORO', reason: 'Status match ended' } });
    expect(down.data.overrideLoyaltyTier.tier).toBe('ORO');
    expect(down.data.overrideLoyaltyTier.tierHistory.at(-1)).toEqual({ toTier: 'ORO', reason: 'OVERRIDE: Status match ended' });
    const noReason = await h.run(manager, OVERRIDE, { i: { accountId, tier: 'PLATA', reason: 'no' } });
    expect(noReason.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const agent = await h.run(callerWith('SupportAgent'), OVERRIDE, { i: { accountId, tier: 'PLATA', reason: 'Because I can' } });
    expect(agent.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
