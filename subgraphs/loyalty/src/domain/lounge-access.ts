import { BadUserInputError, requireUuid, type Caller, type Database, type EventContext } from '@cmp/platform';
import { externalLoyaltySystem } from '../adapters/external-loyalty.ts';
import { findAccountsByCustomerIds } from '../db/accounts.repo.ts';
import { CABINS, LOUNGE_RULES, evaluateEligibility, loungeRule, type Cabin, type Eligibility } from './eligibility.ts';
import { currentAccount, type DataSource } from './sync.ts';

export interface EligibilityQuery {
  customerId: string;
  loungeCode: string;
  cabin: string;
  /** The day of the flight; today when omitted. */
  date?: Date | null;
}

export interface EligibilityAnswer extends Eligibility {
  customerId: string;
  loungeCode: string;
  cabin: Cabin;
  date: Date;
  source: DataSource;
  dataAsOf: Date | null;
}

/** Answers whether a customer may enter a lounge, from the freshest loyalty data there is (or the last known). */
export async function loungeEligibility(db: Database, caller: Caller, events: EventContext, query: EligibilityQuery, now = new Date()): Promise<EligibilityAnswer> {
  const customerId = requireUuid('customerId', query.customerId);
  const rule = loungeRule(query.loungeCode);
  if (!rule) throw new BadUserInputError('loungeCode', `unknown lounge; one of ${Object.keys(LOUNGE_RULES).join(', ')}`);
  const cabin = query.cabin.toUpperCase();
  if (!(CABINS as readonly string[]).includes(cabin)) throw new BadUserInputError('cabin', `must be one of ${CABINS.join(', ')}`);
  const date = query.date ?? now;
  if (Number.isNaN(date.getTime())) throw new BadUserInputError('date', 'must be an ISO 8601 date');
  const [stored] = await findAccountsByCustomerIds(db, [customerId]);
  const view = stored ? await currentAccount(db, caller, events, externalLoyaltySystem(), stored, now) : null;
  return {
    ...evaluateEligibility(view?.account ?? null, rule, cabin as Cabin, date),
    customerId,
    loungeCode: query.loungeCode.trim().toUpperCase(),
    cabin: cabin as Cabin,
    date,
    source: view?.source ?? 'LOCAL',
    dataAsOf: view?.asOf ?? null,
  };
}
