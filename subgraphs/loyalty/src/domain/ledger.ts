import {
  BadUserInputError,
  ConflictError,
  DomainRuleError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { findAccountById } from '../db/accounts.repo.ts';
import { applyBalanceChange, findEntryByExternalId, insertEntryOnce, setBalanceAfter } from '../db/ledger.repo.ts';
import { outbox, type AccountRow, type LedgerEntryRow } from '../db/schema.ts';
import { LEDGER_EVENT, type LedgerKind, type LedgerSource } from './ledger-rules.ts';
import { changeTier } from './tier-changes.ts';
import { higherTier, qualifiedTier, tierExpiry, tierRank } from './tiers.ts';

export const INSUFFICIENT_AVIOS = 'LOY-001';
const MAX_AMOUNT = 10_000_000;

export interface PostingInput {
  accountId: string;
  externalId: string;
  kind: LedgerKind;
  source: LedgerSource;
  avios: number;
  elitePoints?: number | null;
  flights?: number | null;
  description: string;
  occurredAt?: Date | null;
}

export interface Posting {
  entry: LedgerEntryRow;
  account: AccountRow;
  /** True when this external id had already been posted: nothing was counted again. */
  replayed: boolean;
}

function amount(field: string, value: number, sign: 'positive' | 'negative' | 'any'): number {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_AMOUNT) {
    throw new BadUserInputError(field, `must be a whole number of at most ${MAX_AMOUNT.toLocaleString('en')}`);
  }
  if (sign === 'positive' && value < 0) throw new BadUserInputError(field, 'must not be negative');
  if (sign === 'negative' && value > 0) throw new BadUserInputError(field, 'must not be positive');
  return value;
}

/** Validates a posting by kind: accruals add, redemptions and expiries take Avios away, adjustments go either way. */
export function validatePosting(input: PostingInput) {
  const accountId = requireUuid('accountId', input.accountId);
  const externalId = requireLength('externalId', input.externalId, { min: 1, max: 100 });
  const description = requireLength('description', input.description, { min: 1, max: 500 });
  const sign = input.kind === 'ACCRUAL' ? 'positive' : input.kind === 'ADJUSTMENT' ? 'any' : 'negative';
  const avios = amount('avios', input.avios, sign);
  const elitePoints = amount('elitePoints', input.elitePoints ?? 0, input.kind === 'ADJUSTMENT' ? 'any' : 'positive');
  const flights = amount('flights', input.flights ?? 0, 'positive');
  if (input.kind !== 'ACCRUAL' && (flights !== 0 || (input.kind !== 'ADJUSTMENT' && elitePoints !== 0))) {
    throw new BadUserInputError(input.kind === 'ADJUSTMENT' ? 'flights' : 'elitePoints', `a ${input.kind.toLowerCase()} moves Avios only`);
  }
  if (avios === 0 && elitePoints === 0 && flights === 0) throw new BadUserInputError('avios', 'a posting must move something');
  return { accountId, externalId, description, avios, elitePoints, flights };
}

function samePosting(entry: LedgerEntryRow, input: PostingInput, valid: ReturnType<typeof validatePosting>): boolean {
  return entry.kind === input.kind && entry.avios === valid.avios && entry.elitePoints === valid.elitePoints && entry.flights === valid.flights;
}

/**
 * Posts one ledger entry and moves the balances with it, in one transaction. The external id makes it
 * idempotent; the conditional balance update makes concurrent redemptions unable to overdraw; Elite Points that
 * reach a higher tier upgrade the account there and then.
 */
export async function postEntry(db: Database, caller: Caller, events: EventContext, input: PostingInput, now = new Date()): Promise<Posting> {
  const valid = validatePosting(input);
  return db.transaction(async (tx) => {
    if (!(await findAccountById(tx, valid.accountId))) throw new NotFoundError('LoyaltyAccount', valid.accountId);
    const entry = await insertEntryOnce(tx, {
      accountId: valid.accountId,
      kind: input.kind,
      source: input.source,
      avios: valid.avios,
      elitePoints: valid.elitePoints,
      flights: valid.flights,
      externalId: valid.externalId,
      description: valid.description,
      aviosBalanceAfter: 0,
      occurredAt: input.occurredAt ?? now,
      recordedBy: caller.subject,
    });
    if (!entry) {
      const first = (await findEntryByExternalId(tx, valid.accountId, valid.externalId))!;
      if (!samePosting(first, input, valid)) {
        throw new ConflictError(`externalId: ${valid.externalId} was already posted with different amounts`, { field: 'externalId' });
      }
      return { entry: first, account: (await findAccountById(tx, valid.accountId))!, replayed: true };
    }

    let account = await applyBalanceChange(tx, valid.accountId, valid);
    if (!account) {
      const current = (await findAccountById(tx, valid.accountId))!;
      throw new DomainRuleError(INSUFFICIENT_AVIOS, `avios: the balance is ${current.aviosBalance}; this posting would take it below zero`, {
        field: 'avios',
        balance: current.aviosBalance,
      });
    }
    const posted = await setBalanceAfter(tx, entry.id, account.aviosBalance);
    await recordEvent(tx, outbox, events, {
      type: LEDGER_EVENT[input.kind],
      aggregateType: 'LoyaltyAccount',
      aggregateId: account.id,
      customerId: account.customerId,
      data: {
        accountId: account.id,
        customerId: account.customerId,
        entryId: posted.id,
        externalId: posted.externalId,
        source: posted.source,
        avios: posted.avios,
        elitePoints: posted.elitePoints,
        aviosBalance: account.aviosBalance,
      },
    });

    const reached = qualifiedTier({ elitePoints: account.elitePoints, flights: account.qualifyingFlights, lifetimeElitePoints: account.lifetimeElitePoints });
    if (tierRank(reached) > tierRank(account.tier)) {
      account = await changeTier(tx, events, account, {
        to: higherTier(reached, account.tier),
        expiresAt: tierExpiry(now),
        reason: 'QUALIFICATION',
        changedBy: caller.subject,
        manual: false,
      });
    }
    return { entry: posted, account, replayed: false };
  });
}

/** A LoyaltyManager's decision, in either direction, with its reason kept in the tier history. */
export async function overrideTier(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: { accountId: string; tier: AccountRow['tier']; reason: string; expiresAt?: Date | null },
  now = new Date(),
): Promise<AccountRow> {
  const accountId = requireUuid('accountId', input.accountId);
  const reason = requireLength('reason', input.reason, { min: 5, max: 500 });
  return db.transaction(async (tx) => {
    const account = await findAccountById(tx, accountId);
    if (!account) throw new NotFoundError('LoyaltyAccount', accountId);
    if (account.tier === input.tier) throw new BadUserInputError('tier', `the account is already ${input.tier}`);
    return changeTier(tx, events, account, {
      to: input.tier,
      expiresAt: input.expiresAt ?? tierExpiry(now),
      reason: `OVERRIDE: ${reason}`,
      changedBy: caller.subject,
      manual: true,
    });
  });
}
