/**
 * The rule sets, versioned by the date they took effect. A decision uses the set in force on the scheduled
 * departure, and names it in its trace.
 */
export interface Band {
  name: string;
  amountMinor: number;
  /** Arrival (or rerouted arrival) late by no more than this: compensation halved (Art 7(2)). */
  reductionThresholdHours: number;
}

export interface RuleSet {
  id: string;
  effectiveFrom: string;
  eu261: {
    /** Art 6 / Sturgeon: arrival this late or more is owed compensation. */
    delayThresholdHours: number;
    short: Band;
    medium: Band;
    long: Band;
  };
  /** Montreal Convention Art 22(2): liability for baggage, per passenger, in Special Drawing Rights. */
  baggageLimitSdr: number;
}

const EU261_BANDS = {
  delayThresholdHours: 3,
  short: { name: 'up to 1,500 km', amountMinor: 25_000, reductionThresholdHours: 2 },
  medium: { name: 'intra-EU over 1,500 km, or 1,500 to 3,500 km', amountMinor: 40_000, reductionThresholdHours: 3 },
  long: { name: 'over 3,500 km, not intra-EU', amountMinor: 60_000, reductionThresholdHours: 4 },
};

/** Montreal limits as revised by ICAO: 1,131 SDR from 30 Dec 2009, 1,288 from 28 Dec 2019, 1,519 from 28 Dec 2024. */
export const RULE_SETS: RuleSet[] = [
  { id: 'EU261-2004/MC99-2009', effectiveFrom: '2009-12-30', eu261: EU261_BANDS, baggageLimitSdr: 1_131 },
  { id: 'EU261-2004/MC99-2019', effectiveFrom: '2019-12-28', eu261: EU261_BANDS, baggageLimitSdr: 1_288 },
  { id: 'EU261-2004/MC99-2024', effectiveFrom: '2024-12-28', eu261: EU261_BANDS, baggageLimitSdr: 1_519 },
];

/** The set in force on `date`, or null before the first one. */
export function ruleSetOn(date: Date): RuleSet | null {
  const day = date.toISOString().slice(0, 10);
  return [...RULE_SETS].reverse().find((r) => r.effectiveFrom <= day) ?? null;
}

/** Causes that are extraordinary circumstances (Art 5(3)): they remove compensation, not care. */
export const EXTRAORDINARY_CAUSES = new Set([
  'WEATHER',
  'SECURITY',
  'POLITICAL_INSTABILITY',
  'EXTERNAL_STRIKE',
  'AIR_TRAFFIC_CONTROL',
  'BIRD_STRIKE',
  'MEDICAL_EMERGENCY',
  'AIRPORT_CLOSURE',
]);

/** Causes within the carrier's control: named so a claim handler can record them, and never exempting. */
export const ORDINARY_CAUSES = new Set(['TECHNICAL_FAULT', 'CREW_SHORTAGE', 'OWN_STAFF_STRIKE', 'OVERBOOKING', 'LATE_INBOUND_AIRCRAFT']);

/**
 * Community carriers (an operating licence from an EU state, or Iceland, Norway, Switzerland), by IATA code: they
 * bring flights arriving from outside into scope. The list names the carriers that serve Spain; extend it in
 * `COMMUNITY_CARRIERS` here as routes change.
 */
export const COMMUNITY_CARRIERS = new Set([
  'IB', 'I2', 'UX', 'VY', 'V7', 'NT', 'YW', 'PM', 'FR', 'EC', 'DS', 'LH', 'EN', 'EW', '4U', 'DE', 'X3', 'OS', 'SN',
  'LX', 'WK', 'AF', 'TO', 'KL', 'HV', 'AZ', 'SK', 'DY', 'D8', 'AY', 'TP', 'S4', 'EI', 'LO', 'OK', 'A3', 'OA', 'BT',
  'W6', 'W4', 'LG', 'FI', 'OU', 'RO', 'FB', 'CY', 'KM',
]);
