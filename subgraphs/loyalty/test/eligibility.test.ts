import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createLogger, createTokenVerifier, parseSettings, signDevToken, startSubgraph, type RunningSubgraph, type Settings } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CABINS, evaluateEligibility, LOUNGE_RULES } from '../src/domain/eligibility.ts';
import { LOYALTY_TIERS, type LoyaltyTier } from '../src/domain/tiers.ts';
import { loyaltySubgraph } from '../src/index.ts';
import { enrol, manager } from './support.ts';

const ELIGIBILITY = `query($c: ID!, $l: String!, $cabin: Cabin!, $d: DateTime) {
  loungeEligibility(customerId: $c, loungeCode: $l, cabin: $cabin, date: $d) { eligible guestsAllowed reason tier source }
}`;

/** DOMAIN.md: lounges from Oro with one guest; Business and First whatever the tier. */
const EXPECTED: Record<LoyaltyTier, { eligible: boolean; guests: number }> = {
  CLASICA: { eligible: false, guests: 0 },
  PLATA: { eligible: false, guests: 0 },
  ORO: { eligible: true, guests: 1 },
  PLATINO: { eligible: true, guests: 1 },
  PLATINO_PRIME: { eligible: true, guests: 1 },
  INFINITA: { eligible: true, guests: 1 },
  INFINITA_PRIME: { eligible: true, guests: 1 },
};

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(loyaltySubgraph);
});
afterAll(() => h?.close());

describe('lounge eligibility', () => {
  const table = LOYALTY_TIERS.flatMap((tier) => CABINS.map((cabin) => [tier, cabin] as const));

  it.each(table)('decides %s in %s', async (tier, cabin) => {
    const { customerId } = await enrol(h, tier);
    const result = await h.run(callerWith('Viewer'), ELIGIBILITY, { c: customerId, l: 'MAD-VELAZQUEZ', cabin });
    expect(result.errors).toBeUndefined();
    const premium = cabin === 'BUSINESS' || cabin === 'FIRST';
    const byTier = EXPECTED[tier];
    expect(result.data.loungeEligibility).toEqual({
      eligible: byTier.eligible || premium,
      guestsAllowed: byTier.eligible ? byTier.guests : 0,
      reason: byTier.eligible ? 'TIER' : premium ? 'CABIN' : 'TIER_TOO_LOW',
      tier,
      source: 'LOCAL',
    });
  });

  it('admits a non-member in Business but not in Economy', async () => {
    const c = randomUUID();
    const business = await h.run(manager, ELIGIBILITY, { c, l: 'MAD-DALI', cabin: 'BUSINESS' });
    expect(business.data.loungeEligibility).toMatchObject({ eligible: true, guestsAllowed: 0, reason: 'CABIN', tier: null });
    const economy = await h.run(manager, ELIGIBILITY, { c, l: 'MAD-DALI', cabin: 'ECONOMY' });
    expect(economy.data.loungeEligibility).toMatchObject({ eligible: false, reason: 'NOT_A_MEMBER' });
  });

  it('uses the tier valid on the date asked about', () => {
    const rule = LOUNGE_RULES['MAD-GOYA']!;
    const account = { tier: 'ORO' as const, tierExpiresAt: new Date('2026-12-31T23:59:59Z') };
    expect(evaluateEligibility(account, rule, 'ECONOMY', new Date('2026-12-30T10:00:00Z'))).toMatchObject({ eligible: true, reason: 'TIER' });
    expect(evaluateEligibility(account, rule, 'ECONOMY', new Date('2027-01-02T10:00:00Z'))).toMatchObject({ eligible: false, reason: 'TIER_EXPIRED', tier: 'CLASICA' });
  });

  it('names an unknown lounge, and confines a Customer token to itself', async () => {
    const { customerId } = await enrol(h, 'ORO');
    const unknown = await h.run(manager, ELIGIBILITY, { c: customerId, l: 'LHR-GALLERIES', cabin: 'ECONOMY' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'loungeCode' });
    const self = await h.run(callerWith('Customer', { customerId }), ELIGIBILITY, { c: customerId, l: 'MAD-GOYA', cabin: 'ECONOMY' });
    expect(self.data.loungeEligibility.eligible).toBe(true);
    const other = await h.run(callerWith('Customer', { customerId: randomUUID() }), ELIGIBILITY, { c: customerId, l: 'MAD-GOYA', cabin: 'ECONOMY' });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('REST: GET /v1/lounge-eligibility', () => {
  let server: RunningSubgraph;
  let settings: Settings;
  let base: string;

  beforeAll(async () => {
    settings = parseSettings({ CMP_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cmp-rest-')) });
    server = await startSubgraph({
      definition: loyaltySubgraph,
      database: h.handle,
      verifier: await createTokenVerifier(settings),
      logger: createLogger({ name: 'test', level: 'silent' }),
      port: 0,
      host: '127.0.0.1',
    });
    base = new URL('/v1/lounge-eligibility', server.url).toString();
  });
  afterAll(() => server?.close());

  it('answers the same decision as GraphQL over HTTP with a bearer token', async () => {
    const { customerId } = await enrol(h, 'PLATINO');
    const token = await signDevToken(settings, { roles: ['Viewer'] });
    const response = await fetch(`${base}?customerId=${customerId}&loungeCode=MAD-VELAZQUEZ&cabin=ECONOMY&date=2026-11-24`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      customerId,
      loungeCode: 'MAD-VELAZQUEZ',
      cabin: 'ECONOMY',
      eligible: true,
      guestsAllowed: 1,
      reason: 'TIER',
      tier: 'PLATINO',
      source: 'LOCAL',
    });
  });

  it('answers 401 without a token, 403 for another customer, 400 naming a bad field', async () => {
    const { customerId } = await enrol(h, 'ORO');
    const query = `customerId=${customerId}&loungeCode=MAD-DALI&cabin=ECONOMY`;
    expect((await fetch(`${base}?${query}`)).status).toBe(401);
    const stranger = await signDevToken(settings, { roles: ['Customer'], customerId: randomUUID() });
    expect((await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(403);
    const viewer = await signDevToken(settings, { roles: ['Viewer'] });
    const bad = await fetch(`${base}?customerId=${customerId}&loungeCode=MAD-DALI&cabin=COUCH`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'cabin' } });
  });
});
