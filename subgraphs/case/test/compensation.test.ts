import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateCompensation, type CompensationInput } from '../src/domain/compensation/engine.ts';
import { caseSubgraph } from '../src/index.ts';

const settings = { sdrEurRate: 1.17 };
const DEPARTURE = new Date('2026-03-10T10:00:00Z');
const at = (hours: number, from = DEPARTURE) => new Date(from.getTime() + hours * 3_600_000);
const days = (n: number) => at(-24 * n);

/** A flight of `flightHours` from the departure above, with whatever the case adds. */
function flight(kind: CompensationInput['kind'], origin: string, destination: string, flightHours: number, extra: Partial<CompensationInput> = {}): CompensationInput {
  return { kind, origin, destination, operatingCarrier: 'IB', scheduledDeparture: DEPARTURE, scheduledArrival: at(flightHours), ...extra };
}
const late = (flightHours: number, hours: number) => ({ actualArrival: at(flightHours + hours) });
const rerouted = (flightHours: number, leavesEarlierHours: number, arrivesLaterHours: number) => ({
  reroutedDeparture: at(-leavesEarlierHours),
  reroutedArrival: at(flightHours + arrivesLaterHours),
});

/**
 * Each row worked out by hand from the regulation: distance band (Art 7(1)), 3 h delay threshold (Sturgeon),
 * halving when the arrival is late by no more than 2 / 3 / 4 h (Art 7(2)), notice windows and reroutes
 * (Art 5(1)(c)), extraordinary circumstances (Art 5(3)), scope (Art 3(1)), Montreal Art 22(2) at 1.17 EUR/SDR.
 */
const TABLE: [string, CompensationInput, { eligible: boolean; amountMinor: number | null; reductionApplied?: boolean; rule: string; distanceKm?: number }][] = [
  ['delay 3 h 10, 483 km: band 250, not halved (over 2 h)', flight('DELAY', 'MAD', 'BCN', 1.25, late(1.25, 3 + 10 / 60)), { eligible: true, amountMinor: 25_000, reductionApplied: false, rule: 'EU261_ART7_DELAY', distanceKm: 483 }],
  ['delay 2 h 59: under the 3 h threshold', flight('DELAY', 'MAD', 'BCN', 1.25, late(1.25, 2 + 59 / 60)), { eligible: false, amountMinor: null, rule: 'EU261_DELAY_UNDER_3H' }],
  ['delay exactly 3 h: owed', flight('DELAY', 'MAD', 'BCN', 1.25, late(1.25, 3)), { eligible: true, amountMinor: 25_000, rule: 'EU261_ART7_DELAY' }],
  ['delay 3 h 30 to Tenerife, intra-EU 1,771 km: 400 in full', flight('DELAY', 'MAD', 'TFN', 2.75, late(2.75, 3.5)), { eligible: true, amountMinor: 40_000, reductionApplied: false, rule: 'EU261_ART7_DELAY', distanceKm: 1_771 }],
  ['delay exactly 3 h in the 400 band: halved to 200', flight('DELAY', 'MAD', 'TFN', 2.75, late(2.75, 3)), { eligible: true, amountMinor: 20_000, reductionApplied: true, rule: 'EU261_ART7_DELAY' }],
  ['delay 5 h Madrid-Istanbul, non-EU 2,713 km: 400', flight('DELAY', 'MAD', 'IST', 4, late(4, 5)), { eligible: true, amountMinor: 40_000, rule: 'EU261_ART7_DELAY', distanceKm: 2_713 }],
  ['delay 3 h 30 Madrid-New York 5,762 km: 600 halved to 300', flight('DELAY', 'MAD', 'JFK', 8.5, late(8.5, 3.5)), { eligible: true, amountMinor: 30_000, reductionApplied: true, rule: 'EU261_ART7_DELAY', distanceKm: 5_762 }],
  ['delay exactly 4 h long haul: still halved', flight('DELAY', 'MAD', 'JFK', 8.5, late(8.5, 4)), { eligible: true, amountMinor: 30_000, reductionApplied: true, rule: 'EU261_ART7_DELAY' }],
  ['delay 4 h 01 long haul: 600', flight('DELAY', 'MAD', 'JFK', 8.5, late(8.5, 4 + 1 / 60)), { eligible: true, amountMinor: 60_000, reductionApplied: false, rule: 'EU261_ART7_DELAY' }],
  ['New York-Madrid on Iberia, arriving in the EU on a Community carrier, 6 h late: 600', flight('DELAY', 'JFK', 'MAD', 7.5, late(7.5, 6)), { eligible: true, amountMinor: 60_000, rule: 'EU261_ART7_DELAY' }],
  ['New York-Madrid on American: out of scope', flight('DELAY', 'JFK', 'MAD', 7.5, { ...late(7.5, 6), operatingCarrier: 'AA' }), { eligible: false, amountMinor: null, rule: 'EU261_ART3_OUT_OF_SCOPE' }],
  ['London-New York on BA: neither end in the EU', flight('DELAY', 'LHR', 'JFK', 8, { ...late(8, 6), operatingCarrier: 'BA' }), { eligible: false, amountMinor: null, rule: 'EU261_ART3_OUT_OF_SCOPE' }],
  ['Madrid-London on BA, departing the EU, 3 h 05 late, 1,246 km: 250', flight('DELAY', 'MAD', 'LHR', 2.5, { ...late(2.5, 3 + 5 / 60), operatingCarrier: 'BA' }), { eligible: true, amountMinor: 25_000, rule: 'EU261_ART7_DELAY', distanceKm: 1_246 }],
  ['Casablanca-Madrid on Royal Air Maroc: out of scope', flight('DELAY', 'CMN', 'MAD', 1.5, { ...late(1.5, 4), operatingCarrier: 'AT' }), { eligible: false, amountMinor: null, rule: 'EU261_ART3_OUT_OF_SCOPE' }],
  ['Casablanca-Madrid on Iberia, 867 km, 4 h late: 250', flight('DELAY', 'CMN', 'MAD', 1.5, late(1.5, 4)), { eligible: true, amountMinor: 25_000, rule: 'EU261_ART7_DELAY', distanceKm: 867 }],
  ['delay 5 h for weather: extraordinary, nothing', flight('DELAY', 'MAD', 'BCN', 1.25, { ...late(1.25, 5), extraordinaryCircumstance: 'WEATHER' }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_3_EXTRAORDINARY' }],
  ['delay 5 h for a technical fault: not extraordinary, 250', flight('DELAY', 'MAD', 'BCN', 1.25, { ...late(1.25, 5), extraordinaryCircumstance: 'TECHNICAL_FAULT' }), { eligible: true, amountMinor: 25_000, rule: 'EU261_ART7_DELAY' }],
  ['Barcelona-Reykjavik 2,981 km, both in the territory: 400', flight('DELAY', 'BCN', 'KEF', 4.5, { ...late(4.5, 3 + 20 / 60), operatingCarrier: 'FI' }), { eligible: true, amountMinor: 40_000, reductionApplied: false, rule: 'EU261_ART7_DELAY', distanceKm: 2_981 }],
  ['cancellation told 15 days before: nothing', flight('CANCELLATION', 'MAD', 'BCN', 1.25, { noticeGivenAt: days(15) }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_NOTICE_14_DAYS' }],
  ['cancellation told exactly 14 days before: nothing', flight('CANCELLATION', 'MAD', 'BCN', 1.25, { noticeGivenAt: days(14) }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_NOTICE_14_DAYS' }],
  ['told 10 days before, reroute 1 h 30 earlier, 3 h later: nothing', flight('CANCELLATION', 'MAD', 'FRA', 2.5, { noticeGivenAt: days(10), ...rerouted(2.5, 1.5, 3) }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_NOTICE_7_DAYS_REROUTED' }],
  ['told 10 days before, reroute 2 h 30 earlier, 1 h later, 1,422 km: 250 halved to 125', flight('CANCELLATION', 'MAD', 'FRA', 2.5, { noticeGivenAt: days(10), ...rerouted(2.5, 2.5, 1) }), { eligible: true, amountMinor: 12_500, reductionApplied: true, rule: 'EU261_ART5_CANCELLATION', distanceKm: 1_422 }],
  ['told 10 days before, reroute 1 h earlier, 5 h later: 250', flight('CANCELLATION', 'MAD', 'FRA', 2.5, { noticeGivenAt: days(10), ...rerouted(2.5, 1, 5) }), { eligible: true, amountMinor: 25_000, reductionApplied: false, rule: 'EU261_ART5_CANCELLATION' }],
  ['told 3 days before, reroute 30 min earlier, 1 h 30 later: nothing', flight('CANCELLATION', 'MAD', 'HEL', 4, { noticeGivenAt: days(3), ...rerouted(4, 0.5, 1.5) }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_SHORT_NOTICE_REROUTED' }],
  ['told 3 days before, reroute 30 min earlier, 2 h 30 later, intra-EU 2,947 km: 400 halved to 200', flight('CANCELLATION', 'MAD', 'HEL', 4, { noticeGivenAt: days(3), ...rerouted(4, 0.5, 2.5) }), { eligible: true, amountMinor: 20_000, reductionApplied: true, rule: 'EU261_ART5_CANCELLATION', distanceKm: 2_947 }],
  ['told the day before, no reroute: 400', flight('CANCELLATION', 'MAD', 'HEL', 4, { noticeGivenAt: days(1) }), { eligible: true, amountMinor: 40_000, reductionApplied: false, rule: 'EU261_ART5_CANCELLATION' }],
  ['told 2 days before, air-traffic control strike: nothing', flight('CANCELLATION', 'MAD', 'HEL', 4, { noticeGivenAt: days(2), extraordinaryCircumstance: 'AIR_TRAFFIC_CONTROL' }), { eligible: false, amountMinor: null, rule: 'EU261_ART5_3_EXTRAORDINARY' }],
  ['Madrid-Buenos Aires 10,085 km cancelled, reroute 3 h later: 600 halved', flight('CANCELLATION', 'MAD', 'EZE', 12.5, { noticeGivenAt: days(2), ...rerouted(12.5, -2, 3) }), { eligible: true, amountMinor: 30_000, reductionApplied: true, rule: 'EU261_ART5_CANCELLATION', distanceKm: 10_085 }],
  ['denied boarding Madrid-Mexico 9,067 km, reroute 5 h later: 600', flight('DENIED_BOARDING', 'MAD', 'MEX', 12, rerouted(12, -5, 5)), { eligible: true, amountMinor: 60_000, reductionApplied: false, rule: 'EU261_ART4_DENIED_BOARDING', distanceKm: 9_067 }],
  ['denied boarding, reroute 3 h later: 300', flight('DENIED_BOARDING', 'MAD', 'MEX', 12, rerouted(12, -3, 3)), { eligible: true, amountMinor: 30_000, reductionApplied: true, rule: 'EU261_ART4_DENIED_BOARDING' }],
  ['denied boarding in a storm: Art 5(3) does not apply, 250', flight('DENIED_BOARDING', 'MAD', 'BCN', 1.25, { extraordinaryCircumstance: 'WEATHER' }), { eligible: true, amountMinor: 25_000, rule: 'EU261_ART4_DENIED_BOARDING' }],
  ['denied boarding Madrid-Munich 1,497 km (just under 1,500), reroute 1 h later: 125', flight('DENIED_BOARDING', 'MAD', 'MUC', 2.5, rerouted(2.5, -1, 1)), { eligible: true, amountMinor: 12_500, reductionApplied: true, rule: 'EU261_ART4_DENIED_BOARDING', distanceKm: 1_497 }],
  ['bag of EUR 1,000 in 2026: within 1,519 SDR (EUR 1,777.23)', flight('BAGGAGE', 'MAD', 'JFK', 8.5, { claimedAmount: { amountMinor: 100_000, currency: 'EUR' } }), { eligible: true, amountMinor: 100_000, reductionApplied: false, rule: 'MONTREAL_ART22_2' }],
  ['bag of EUR 5,000 in 2026: capped at 1,519 SDR = EUR 1,777.23', flight('BAGGAGE', 'MAD', 'JFK', 8.5, { claimedAmount: { amountMinor: 500_000, currency: 'EUR' } }), { eligible: true, amountMinor: 177_723, reductionApplied: true, rule: 'MONTREAL_ART22_2' }],
  ['bag of EUR 5,000 in June 2024: the 1,288 SDR limit, EUR 1,506.96', { ...flight('BAGGAGE', 'MAD', 'JFK', 8.5, { claimedAmount: { amountMinor: 500_000, currency: 'EUR' } }), scheduledDeparture: new Date('2024-06-01T10:00:00Z'), scheduledArrival: new Date('2024-06-01T18:30:00Z') }, { eligible: true, amountMinor: 150_696, reductionApplied: true, rule: 'MONTREAL_ART22_2' }],
];

describe('calculateCompensation: cases worked out by hand', () => {
  it('has at least 25 of them', () => expect(TABLE.length).toBeGreaterThanOrEqual(25));

  it.each(TABLE)('%s', (_name, input, expected) => {
    const decision = calculateCompensation(input, settings);
    expect(decision).toMatchObject({
      eligible: expected.eligible,
      amount: expected.amountMinor === null ? null : { amountMinor: expected.amountMinor, currency: 'EUR' },
      rule: expected.rule,
      ...(expected.reductionApplied === undefined ? {} : { reductionApplied: expected.reductionApplied }),
    });
    if (expected.distanceKm) expect(Math.abs(decision.distanceKm! - expected.distanceKm)).toBeLessThanOrEqual(1);
    expect(decision.trace.length).toBeGreaterThanOrEqual(2);
    expect(decision.trace[0]).toMatch(/^Rule set EU261-2004\/MC99-20\d\d/);
  });

  it('explains itself: the trace names the distance, the band, the delay and the reduction', () => {
    const decision = calculateCompensation(flight('DELAY', 'MAD', 'JFK', 8.5, late(8.5, 3.5)), settings);
    expect(decision.trace).toEqual([
      'Rule set EU261-2004/MC99-2024 (in force from 2024-12-28), by the scheduled departure',
      'MAD (Spain) to JFK (United States): 5,762 km great-circle',
      'Departs from Spain: in scope (Art 3(1)(a))',
      'Band: over 3,500 km, not intra-EU: EUR 600 (Art 7(1))',
      'Arrived at the final destination 3 h 30 min late',
      '3 h or more late: compensated as a cancellation (Sturgeon, C-402/07)',
      'Arrival late by 3 h 30 min, no more than 4 h in this band: reduced by 50% (Art 7(2))',
      'Owed: EUR 300, in money unless the passenger signs for vouchers (Art 7(3))',
    ]);
  });

  it.each([
    ['origin', { origin: 'XXX' }, /not an airport/],
    ['origin', { origin: 'Madrid' }, /three-letter/],
    ['operatingCarrier', { operatingCarrier: 'IBE' }, /two-character/],
    ['actualArrival', { actualArrival: null }, /required for a DELAY/],
    ['scheduledArrival', { scheduledArrival: at(-1) }, /after scheduledDeparture/],
    ['extraordinaryCircumstance', { extraordinaryCircumstance: 'ALIENS' }, /WEATHER/],
    ['scheduledDeparture', { scheduledDeparture: new Date('2001-01-01T00:00:00Z'), scheduledArrival: new Date('2001-01-01T03:00:00Z') }, /no rule set/],
  ])('names the field and the rule for a bad %s', (field, change, message) => {
    const input = { ...flight('DELAY', 'MAD', 'BCN', 1.25, late(1.25, 4)), ...change } as CompensationInput;
    expect(() => calculateCompensation(input, settings)).toThrow(message);
    try {
      calculateCompensation(input, settings);
    } catch (error) {
      expect((error as { extensions: { field: string } }).extensions.field).toBe(field);
    }
  });
});

describe('calculateCompensation over GraphQL', () => {
  let h: SubgraphHarness;
  beforeAll(async () => {
    h = await startSubgraphHarness(caseSubgraph);
  });
  afterAll(() => h?.close());

  const QUERY = /* GraphQL */ `
    query($input: CompensationInput!) {
      calculateCompensation(input: $input) { eligible amount { amountMinor currency } reductionApplied distanceKm rule ruleSet trace }
    }
  `;

  it('answers staff and customers alike with the decision and its trace, and refuses a lounge device', async () => {
    const input = {
      kind: 'CANCELLATION',
      origin: 'mad',
      destination: 'HEL',
      operatingCarrier: 'IB',
      scheduledDeparture: DEPARTURE.toISOString(),
      scheduledArrival: at(4).toISOString(),
      noticeGivenAt: days(1).toISOString(),
    };
    for (const caller of [callerWith('CustomerAffairsExecutive'), callerWith('Customer', { customerId: crypto.randomUUID() })]) {
      const result = await h.run(caller, QUERY, { input });
      expect(result.errors).toBeUndefined();
      expect(result.data.calculateCompensation).toMatchObject({
        eligible: true,
        amount: { amountMinor: 40_000, currency: 'EUR' },
        reductionApplied: false,
        distanceKm: 2_947,
        rule: 'EU261_ART5_CANCELLATION',
        ruleSet: 'EU261-2004/MC99-2024',
      });
    }
    const device = await h.run(callerWith('LoungeDevice', { loungeCode: 'MAD-DALI' }), QUERY, { input });
    expect(device.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await h.run(callerWith('SupportAgent'), QUERY, { input: { ...input, destination: 'ZZZ' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'destination' });
  });
});
