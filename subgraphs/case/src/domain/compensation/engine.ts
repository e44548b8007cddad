import { BadUserInputError } from '@cmp/platform';
import { airport, greatCircleKm, inRegulationTerritory, type Airport } from './airports.ts';
import { COMMUNITY_CARRIERS, EXTRAORDINARY_CAUSES, ORDINARY_CAUSES, ruleSetOn, type Band, type RuleSet } from './rules.ts';

export const DISRUPTION_KINDS = ['DELAY', 'CANCELLATION', 'DENIED_BOARDING', 'BAGGAGE'] as const;
export type DisruptionKind = (typeof DISRUPTION_KINDS)[number];

export interface Money {
  amountMinor: number;
  currency: string;
}

export interface CompensationInput {
  kind: DisruptionKind;
  origin: string;
  destination: string;
  operatingCarrier: string;
  scheduledDeparture: Date;
  scheduledArrival: Date;
  actualArrival?: Date | null;
  noticeGivenAt?: Date | null;
  reroutedDeparture?: Date | null;
  reroutedArrival?: Date | null;
  extraordinaryCircumstance?: string | null;
  claimedAmount?: Money | null;
}

export interface CompensationDecision {
  eligible: boolean;
  amount: Money | null;
  reductionApplied: boolean;
  distanceKm: number | null;
  /** The rule that decided, e.g. EU261_ART7_DELAY. */
  rule: string;
  ruleSet: string;
  trace: string[];
}

export interface CompensationSettings {
  /** Euros per Special Drawing Right, for the Montreal baggage limit (the IMF publishes it daily). */
  sdrEurRate: number;
}

let configured: CompensationSettings = { sdrEurRate: 1.17 };

/** The process's settings (the SDR rate from COMPENSATION_SDR_EUR_RATE). */
export function compensationSettings(): CompensationSettings {
  return configured;
}

export function configureCompensation(settings: CompensationSettings): void {
  configured = settings;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const km = (n: number) => `${Math.round(n).toLocaleString('en-GB')} km`;
const eur = (minor: number) => `EUR ${(minor / 100).toLocaleString('en-GB', { minimumFractionDigits: minor % 100 ? 2 : 0 })}`;
const duration = (ms: number) => {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
};

function knownAirport(field: 'origin' | 'destination', code: string): Airport {
  const iata = code.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(iata)) throw new BadUserInputError(field, 'must be a three-letter IATA airport code');
  const found = airport(iata);
  if (!found) throw new BadUserInputError(field, `${iata} is not an airport in the dataset`);
  return found;
}

function validate(input: CompensationInput): void {
  if (!/^[A-Z0-9]{2}$/.test(input.operatingCarrier.trim().toUpperCase())) {
    throw new BadUserInputError('operatingCarrier', 'must be a two-character IATA airline code such as IB');
  }
  if (input.scheduledArrival <= input.scheduledDeparture) throw new BadUserInputError('scheduledArrival', 'must be after scheduledDeparture');
  if (input.kind === 'DELAY' && !input.actualArrival) throw new BadUserInputError('actualArrival', 'is required for a DELAY');
  if (input.kind === 'CANCELLATION' && !input.noticeGivenAt) throw new BadUserInputError('noticeGivenAt', 'is required for a CANCELLATION');
  if (input.kind === 'BAGGAGE') {
    if (!input.claimedAmount) throw new BadUserInputError('claimedAmount', 'is required for BAGGAGE');
    if (!Number.isInteger(input.claimedAmount.amountMinor) || input.claimedAmount.amountMinor <= 0) {
      throw new BadUserInputError('claimedAmount.amountMinor', 'must be a positive whole number of minor units (cents)');
    }
    if (input.claimedAmount.currency.toUpperCase() !== 'EUR') throw new BadUserInputError('claimedAmount.currency', 'must be EUR');
  }
  if ((input.reroutedDeparture && !input.reroutedArrival) || (!input.reroutedDeparture && input.reroutedArrival)) {
    throw new BadUserInputError(input.reroutedDeparture ? 'reroutedArrival' : 'reroutedDeparture', 'is required with the other rerouted time');
  }
  if (input.reroutedDeparture && input.reroutedArrival && input.reroutedArrival <= input.reroutedDeparture) {
    throw new BadUserInputError('reroutedArrival', 'must be after reroutedDeparture');
  }
  const cause = input.extraordinaryCircumstance?.trim().toUpperCase();
  if (cause && !EXTRAORDINARY_CAUSES.has(cause) && !ORDINARY_CAUSES.has(cause)) {
    throw new BadUserInputError('extraordinaryCircumstance', `must be one of ${[...EXTRAORDINARY_CAUSES, ...ORDINARY_CAUSES].join(', ')}`);
  }
}

/** The distance band of Art 7(1): intra-Community flights over 1,500 km are always in the middle band. */
function bandFor(rules: RuleSet, distance: number, intraCommunity: boolean): Band {
  if (distance <= 1_500) return rules.eu261.short;
  if (intraCommunity || distance <= 3_500) return rules.eu261.medium;
  return rules.eu261.long;
}

/**
 * What a passenger is owed for one disruption: EU 261/2004 for delay, cancellation and denied boarding, the
 * Montreal Convention for baggage. Pure: the same input always gives the same decision, with its trace.
 */
export function calculateCompensation(input: CompensationInput, settings: CompensationSettings): CompensationDecision {
  const kind = input.kind;
  validate(input);
  const rules = ruleSetOn(input.scheduledDeparture);
  if (!rules) throw new BadUserInputError('scheduledDeparture', `no rule set is in force on ${input.scheduledDeparture.toISOString().slice(0, 10)}`);
  const trace: string[] = [`Rule set ${rules.id} (in force from ${rules.effectiveFrom}), by the scheduled departure`];
  const decide = (eligible: boolean, rule: string, extra: Partial<CompensationDecision> = {}): CompensationDecision => ({
    eligible,
    amount: null,
    reductionApplied: false,
    distanceKm: null,
    rule,
    ruleSet: rules.id,
    trace,
    ...extra,
  });

  const from = knownAirport('origin', input.origin);
  const to = knownAirport('destination', input.destination);
  const carrier = input.operatingCarrier.trim().toUpperCase();

  if (kind === 'BAGGAGE') {
    const limitMinor = Math.round(rules.baggageLimitSdr * settings.sdrEurRate * 100); // to the nearest cent
    const claimed = input.claimedAmount!.amountMinor;
    trace.push(`Montreal Convention Art 22(2): liability up to ${rules.baggageLimitSdr.toLocaleString('en-GB')} SDR per passenger`);
    trace.push(`At ${settings.sdrEurRate} EUR per SDR the limit is ${eur(limitMinor)}; claimed ${eur(claimed)}`);
    const capped = claimed > limitMinor;
    trace.push(capped ? `The claim exceeds the limit: capped at ${eur(limitMinor)}` : 'The claim is within the limit: payable as claimed, on proof of loss');
    return decide(true, 'MONTREAL_ART22_2', { amount: { amountMinor: Math.min(claimed, limitMinor), currency: 'EUR' }, reductionApplied: capped });
  }

  const distance = greatCircleKm(from, to);
  const distanceKm = Math.round(distance);
  const departsInside = inRegulationTerritory(from);
  const arrivesInside = inRegulationTerritory(to);
  const communityCarrier = COMMUNITY_CARRIERS.has(carrier);
  trace.push(`${from.iata} (${from.country}) to ${to.iata} (${to.country}): ${km(distance)} great-circle`);
  if (!departsInside && !(arrivesInside && communityCarrier)) {
    trace.push(
      arrivesInside
        ? `Departs outside the EU and ${carrier} is not a Community carrier: Regulation 261/2004 does not apply (Art 3(1))`
        : 'Neither departs from nor arrives in the EU: Regulation 261/2004 does not apply (Art 3(1))',
    );
    return decide(false, 'EU261_ART3_OUT_OF_SCOPE', { distanceKm });
  }
  trace.push(departsInside ? `Departs from ${from.country}: in scope (Art 3(1)(a))` : `Arrives in ${to.country} on Community carrier ${carrier}: in scope (Art 3(1)(b))`);

  const intraCommunity = departsInside && arrivesInside;
  const band = bandFor(rules, distance, intraCommunity);
  trace.push(`Band: ${band.name}${intraCommunity && distance > 1_500 ? ' (intra-Community)' : ''}: ${eur(band.amountMinor)} (Art 7(1))`);

  const cause = input.extraordinaryCircumstance?.trim().toUpperCase() ?? null;
  const extraordinary = cause !== null && EXTRAORDINARY_CAUSES.has(cause);
  if (cause && !extraordinary) trace.push(`Cause ${cause} is within the carrier's control: not an extraordinary circumstance`);

  /** Full band, or half when the (rerouted) arrival is late by no more than the band's threshold (Art 7(2)). */
  const pay = (lateMs: number | null, rule: string) => {
    const reduced = lateMs !== null && lateMs <= band.reductionThresholdHours * HOUR;
    const amountMinor = reduced ? band.amountMinor / 2 : band.amountMinor;
    if (reduced) trace.push(`Arrival late by ${duration(lateMs!)}, no more than ${band.reductionThresholdHours} h in this band: reduced by 50% (Art 7(2))`);
    trace.push(`Owed: ${eur(amountMinor)}, in money unless the passenger signs for vouchers (Art 7(3))`);
    return decide(true, rule, { amount: { amountMinor, currency: 'EUR' }, reductionApplied: reduced, distanceKm });
  };

  if (kind === 'DELAY') {
    const lateMs = input.actualArrival!.getTime() - input.scheduledArrival.getTime();
    trace.push(`Arrived at the final destination ${lateMs > 0 ? `${duration(lateMs)} late` : 'on time'}`);
    if (lateMs < rules.eu261.delayThresholdHours * HOUR) {
      trace.push(`Less than ${rules.eu261.delayThresholdHours} h late: no compensation (Sturgeon, C-402/07)`);
      return decide(false, 'EU261_DELAY_UNDER_3H', { distanceKm });
    }
    if (extraordinary) {
      trace.push(`Caused by ${cause}, an extraordinary circumstance: no compensation, care still owed (Art 5(3))`);
      return decide(false, 'EU261_ART5_3_EXTRAORDINARY', { distanceKm });
    }
    trace.push(`${rules.eu261.delayThresholdHours} h or more late: compensated as a cancellation (Sturgeon, C-402/07)`);
    return pay(lateMs, 'EU261_ART7_DELAY');
  }

  const rerouted = input.reroutedDeparture && input.reroutedArrival ? { departure: input.reroutedDeparture, arrival: input.reroutedArrival } : null;
  const earlierMs = rerouted ? input.scheduledDeparture.getTime() - rerouted.departure.getTime() : null;
  const laterMs = rerouted ? rerouted.arrival.getTime() - input.scheduledArrival.getTime() : null;
  if (rerouted) {
    trace.push(`Rerouted: leaves ${earlierMs! > 0 ? `${duration(earlierMs!)} earlier` : `${duration(earlierMs!)} later`}, arrives ${laterMs! > 0 ? `${duration(laterMs!)} later` : `${duration(laterMs!)} earlier`} than booked`);
  }

  if (kind === 'CANCELLATION') {
    const noticeMs = input.scheduledDeparture.getTime() - input.noticeGivenAt!.getTime();
    trace.push(`Told of the cancellation ${noticeMs >= DAY ? `${Math.floor(noticeMs / DAY)} days` : duration(noticeMs)} before the scheduled departure`);
    if (noticeMs >= 14 * DAY) {
      trace.push('Told at least two weeks before: no compensation (Art 5(1)(c)(i))');
      return decide(false, 'EU261_ART5_NOTICE_14_DAYS', { distanceKm });
    }
    if (rerouted && noticeMs >= 7 * DAY && earlierMs! <= 2 * HOUR && laterMs! < 4 * HOUR) {
      trace.push('Told 7 to 14 days before and rerouted to leave no more than 2 h earlier and arrive less than 4 h later: no compensation (Art 5(1)(c)(ii))');
      return decide(false, 'EU261_ART5_NOTICE_7_DAYS_REROUTED', { distanceKm });
    }
    if (rerouted && noticeMs < 7 * DAY && earlierMs! <= 1 * HOUR && laterMs! < 2 * HOUR) {
      trace.push('Told less than 7 days before and rerouted to leave no more than 1 h earlier and arrive less than 2 h later: no compensation (Art 5(1)(c)(iii))');
      return decide(false, 'EU261_ART5_SHORT_NOTICE_REROUTED', { distanceKm });
    }
    if (extraordinary) {
      trace.push(`Caused by ${cause}, an extraordinary circumstance: no compensation, care still owed (Art 5(3))`);
      return decide(false, 'EU261_ART5_3_EXTRAORDINARY', { distanceKm });
    }
    return pay(laterMs !== null && laterMs > 0 ? laterMs : rerouted ? 0 : null, 'EU261_ART5_CANCELLATION');
  }

  // DENIED_BOARDING: owed against the passenger's will (Art 4(3)); Art 5(3) is not a defence here.
  trace.push('Denied boarding against the passenger\'s will: compensation owed at once (Art 4(3))');
  if (extraordinary) trace.push(`${cause} does not exempt denied boarding: Art 5(3) covers cancellations only`);
  return pay(laterMs !== null && laterMs > 0 ? laterMs : rerouted ? 0 : null, 'EU261_ART4_DENIED_BOARDING');
}
