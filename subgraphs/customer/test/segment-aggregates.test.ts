import { randomUUID } from 'node:crypto';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownTiers } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer } from './factories.ts';

const AGGREGATES = /* GraphQL */ `
  query Aggregates($groupBy: [AggregateDimension!]!) {
    segmentAggregates(groupBy: $groupBy) {
      groupBy minimumGroupSize suppressedGroups generatedAt
      groups { segment type country rating loyaltyTier customerCount averageLifetimeValue { amountMinor currency } }
    }
  }
`;
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin');
const analyst = callerWith('DataAnalyst');
const portuguese: string[] = [];
const french: string[] = [];

const ZIP: Record<string, string> = { PT: '1000-001', FR: '75001', DE: '10115', IT: '00184' };
const person = (country: string, i: number) => ({
  firstName: `Persona${i}`,
  lastName: `Agregada${country}`,
  billingAddress: { street: `Rua ${i}`, city: 'Lisboa', zipCode: ZIP[country], country },
});

async function aggregates(groupBy: string[], caller = analyst) {
  const result = await h.run(caller, AGGREGATES, { groupBy });
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.segmentAggregates;
}

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
  for (let i = 0; i < 10; i++) portuguese.push((await createdCustomer(h, admin, person('PT', i))).id);
  for (let i = 0; i < 9; i++) french.push((await createdCustomer(h, admin, person('FR', i))).id);
  // Two more small groups, so that what the reports withhold adds up to at least 10 (see the last specs).
  for (let i = 0; i < 5; i++) await createdCustomer(h, admin, person('DE', i));
  for (let i = 0; i < 5; i++) await createdCustomer(h, admin, person('IT', i));
  // Neither an inactive nor a deactivated customer counts.
  const inactive = await createdCustomer(h, admin, person('FR', 90));
  expect((await h.run(admin, 'mutation($id: ID!) { changeCustomerStatus(id: $id, status: INACTIVE, reason: "moved abroad") { id } }', { id: inactive.id })).errors).toBeUndefined();
  const gone = await createdCustomer(h, admin, person('FR', 91));
  expect((await h.run(admin, 'mutation($id: ID!) { deactivateCustomer(id: $id, reason: "duplicate record") { id } }', { id: gone.id })).errors).toBeUndefined();
  // Lifetime value: EUR 1,234.56 and EUR 100.00 among the ten Portuguese customers, a mean of EUR 133.456.
  for (const [customerId, amount] of [[portuguese[0], 123_456], [portuguese[1], 10_000]] as const) {
    const recorded = await h.run(admin, RECORD, {
      input: {
        customerId,
        orderReference: `AGG-${randomUUID().slice(0, 8)}`,
        channel: 'WEB',
        currency: 'EUR',
        items: [{ sku: 'SEAT', description: 'Seat upgrade', quantity: 1, unitAmountMinor: amount }],
        purchasedAt: new Date(Date.now() - 60_000).toISOString(),
      },
    });
    expect(recorded.errors).toBeUndefined();
  }
}, 300_000);
afterAll(() => h?.close());

describe('segmentAggregates: anonymised counts for partners', () => {
  it('shows a group of 10 and suppresses a group of 9, reporting only how many groups were left out', async () => {
    const report = await aggregates(['COUNTRY']);
    expect(report).toMatchObject({ groupBy: ['COUNTRY'], minimumGroupSize: 10, suppressedGroups: 3 });
    expect(report.groups).toEqual([
      { segment: null, type: null, country: 'PT', rating: null, loyaltyTier: null, customerCount: 10, averageLifetimeValue: { amountMinor: 13_300, currency: 'EUR' } },
    ]);
    // Nothing of any person is in the answer, and not the size of the group left out.
    const text = JSON.stringify(report);
    expect(text).not.toMatch(/Agregada|example\.com|Rua|FR|DE|IT|:9[,}]|:5[,}]/);
  });

  it('shows the group once it reaches 10 active customers', async () => {
    french.push((await createdCustomer(h, admin, person('FR', 9))).id);
    const report = await aggregates(['COUNTRY', 'TYPE', 'SEGMENT']);
    expect(report.suppressedGroups).toBe(2);
    expect(report.groups.map((g: any) => [g.country, g.type, g.segment, g.customerCount])).toEqual([
      ['FR', 'INDIVIDUAL', 'STANDARD', 10],
      ['PT', 'INDIVIDUAL', 'STANDARD', 10],
    ]);
    expect(report.groups.find((g: any) => g.country === 'FR').averageLifetimeValue.amountMinor).toBe(0);
  });

  it('groups by the loyalty tier the customer subgraph knows, and by nothing at all', async () => {
    const asOf = new Date();
    await h.handle.db.insert(knownTiers).values(portuguese.map((customerId) => ({ customerId, tier: 'ORO', asOf })));
    await h.handle.db.insert(knownTiers).values(french.slice(0, 4).map((customerId) => ({ customerId, tier: 'PLATA', asOf })));
    const byTier = await aggregates(['LOYALTY_TIER', 'COUNTRY']);
    // PT+ORO 10 shown; FR+PLATA 4, FR without a tier 6, DE 5 and IT 5 suppressed.
    expect(byTier.groups.map((g: any) => [g.loyaltyTier, g.country, g.customerCount])).toEqual([['ORO', 'PT', 10]]);
    expect(byTier.suppressedGroups).toBe(4);
    const all = await aggregates([]);
    expect(all.groups).toEqual([expect.objectContaining({ country: null, customerCount: 30 })]);
    expect(all.suppressedGroups).toBe(0);
  });

  it('also withholds a shown group whose coarser total would give a small one away', async () => {
    await createdCustomer(h, admin, { ...person('FR', 99), type: 'SMALL_BUSINESS', companyName: 'Petite Entreprise SARL' });
    // By country France has 11; shown FR/INDIVIDUAL 10 next to it would reveal FR/SMALL_BUSINESS as 1.
    const byCountry = await aggregates(['COUNTRY']);
    expect(byCountry.groups.map((g: any) => [g.country, g.customerCount])).toEqual([['FR', 11], ['PT', 10]]);
    const fine = await aggregates(['COUNTRY', 'TYPE']);
    expect(fine.groups.map((g: any) => [g.country, g.type, g.customerCount])).toEqual([['PT', 'INDIVIDUAL', 10]]);
    expect(fine.suppressedGroups).toBe(4);
    // The two paying customers were rated by their payments: UNRATED 29 next to a total of 31 would give them away.
    const byRating = await aggregates(['RATING']);
    expect(byRating.groups).toEqual([]);
    expect(byRating.suppressedGroups).toBe(2);
  });

  it('is for DataAnalyst and Admin only, and names a repeated dimension', async () => {
    expect((await aggregates(['SEGMENT'], admin)).groups).toEqual([expect.objectContaining({ segment: 'STANDARD', customerCount: 31 })]);
    for (const role of ['MarketingManager', 'Viewer', 'CustomerManager', 'DataPrivacyOfficer'] as const) {
      const refused = await h.run(callerWith(role, { mfa: true }), AGGREGATES, { groupBy: ['SEGMENT'] });
      expect(refused.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    const self = await h.run(callerWith('Customer', { customerId: portuguese[0] }), AGGREGATES, { groupBy: ['SEGMENT'] });
    expect(self.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const repeated = await h.run(analyst, AGGREGATES, { groupBy: ['SEGMENT', 'SEGMENT'] });
    expect(repeated.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
  });
});
