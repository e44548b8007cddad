import {
  BadUserInputError,
  DomainRuleError,
  refuseErasedCustomer,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Logger,
} from '@cmp/platform';
import { findActiveLounges, insertInvitation } from '../db/invitations.repo.ts';
import { erasedCustomers, type Cabin, type InvitationRow } from '../db/schema.ts';
import type { InvitationRuntime } from '../runtime.ts';
import { decideEligibility } from './eligibility.ts';
import { recordInvitationEvent } from './events.ts';

export const MAX_WINDOW_HOURS = 48;
/** Every lounge-bearing tier of DOMAIN.md allows one companion. */
export const MAX_GUESTS = 1;

export interface IssueInvitationInput {
  customerId: string;
  loungeCode: string;
  validFrom: Date;
  validUntil: Date;
  guests?: number | null;
  flightNumber: string;
  /** The cabin of the day's flight; Business and First are admitted whatever the tier. */
  cabin?: Cabin | null;
}

export function normaliseFlightNumber(raw: string): string {
  const value = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$/.test(value)) {
    throw new BadUserInputError('flightNumber', 'must be an IATA flight designator such as IB6253');
  }
  return value;
}

export function validateWindow(validFrom: Date, validUntil: Date, now: Date): void {
  if (validUntil <= validFrom) throw new BadUserInputError('validUntil', 'must be after validFrom');
  if (validUntil <= now) throw new BadUserInputError('validUntil', 'must be in the future');
  if (validUntil.getTime() - validFrom.getTime() > MAX_WINDOW_HOURS * 3_600_000) {
    throw new BadUserInputError('validUntil', `the validity window may be at most ${MAX_WINDOW_HOURS} hours`);
  }
}

/** Whole seconds: the QR code carries the window in seconds, and the stored window must be the same one. */
const toSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * Issues a lounge invitation in state ISSUED after asking loyalty whether the customer may enter (tier or cabin)
 * and with how many guests, and records InvitationIssued for the CRM's outbound delivery. The decision's source
 * (loyalty, last known tier, cabin) is stored with the invitation.
 */
export async function issueInvitation(
  db: Database,
  caller: Caller,
  context: { events: EventContext; requestId: string; traceparent: string; log: Logger },
  runtime: InvitationRuntime,
  input: IssueInvitationInput,
  now = new Date(),
): Promise<InvitationRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const loungeCode = input.loungeCode.trim().toUpperCase();
  const guests = input.guests ?? 0;
  if (!Number.isInteger(guests) || guests < 0 || guests > MAX_GUESTS) {
    throw new BadUserInputError('guests', `must be from 0 to ${MAX_GUESTS}`);
  }
  const validFrom = toSecond(input.validFrom);
  const validUntil = toSecond(input.validUntil);
  validateWindow(validFrom, validUntil, now);
  const flightNumber = normaliseFlightNumber(input.flightNumber);
  const cabin = input.cabin ?? 'ECONOMY';
  const lounges = await findActiveLounges(db);
  if (!lounges.some((l) => l.code === loungeCode)) {
    throw new BadUserInputError('loungeCode', `unknown lounge; one of ${lounges.map((l) => l.code).join(', ')}`);
  }
  const decision = await decideEligibility(
    db,
    runtime.eligibility,
    caller,
    { customerId, loungeCode, cabin, date: validFrom },
    { traceparent: context.traceparent, 'x-request-id': context.requestId },
    context.log,
    now,
  );
  if (!decision.eligible) {
    throw new DomainRuleError('INV-002', `The customer is not eligible for ${loungeCode} (${decision.reason})`, {
      reason: decision.reason,
      tier: decision.tier,
      eligibilitySource: decision.source,
    });
  }
  if (guests > decision.guestsAllowed) {
    throw new BadUserInputError('guests', `the customer's entitlement (${decision.reason === 'TIER' ? decision.tier : cabin}) allows at most ${decision.guestsAllowed} guest(s)`);
  }
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    const invitation = await insertInvitation(tx, {
      customerId,
      loungeCode,
      validFrom,
      validUntil,
      guests,
      flightNumber,
      cabin,
      eligibilitySource: decision.source,
      eligibilityReason: decision.reason,
      eligibilityTier: decision.tier,
      eligibilityAsOf: decision.asOf,
      qrKeyId: runtime.keys.activeKeyId,
      lastSentAt: now,
      issuedBy: caller.subject,
    });
    await recordInvitationEvent(tx, context.events, 'InvitationIssued', invitation, caller.subject);
    return invitation;
  });
}
