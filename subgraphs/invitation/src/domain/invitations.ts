import { BadUserInputError, recordEvent, requireUuid, type Caller, type Database, type EventContext } from '@cmp/platform';
import { findActiveLounges, insertInvitation } from '../db/invitations.repo.ts';
import { outbox, type InvitationRow } from '../db/schema.ts';

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

/** Issues a lounge invitation in state ISSUED and records InvitationIssued for the CRM's outbound delivery. */
export async function issueInvitation(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: IssueInvitationInput,
  now = new Date(),
): Promise<InvitationRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const loungeCode = input.loungeCode.trim().toUpperCase();
  const guests = input.guests ?? 0;
  if (!Number.isInteger(guests) || guests < 0 || guests > MAX_GUESTS) {
    throw new BadUserInputError('guests', `must be from 0 to ${MAX_GUESTS}`);
  }
  validateWindow(input.validFrom, input.validUntil, now);
  const flightNumber = normaliseFlightNumber(input.flightNumber);
  const lounges = await findActiveLounges(db);
  if (!lounges.some((l) => l.code === loungeCode)) {
    throw new BadUserInputError('loungeCode', `unknown lounge; one of ${lounges.map((l) => l.code).join(', ')}`);
  }
  return db.transaction(async (tx) => {
    const invitation = await insertInvitation(tx, {
      customerId,
      loungeCode,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      guests,
      flightNumber,
      issuedBy: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.invitation.InvitationIssued',
      aggregateType: 'Invitation',
      aggregateId: invitation.id,
      customerId,
      data: {
        invitationId: invitation.id,
        customerId,
        loungeCode,
        validFrom: invitation.validFrom.toISOString(),
        validUntil: invitation.validUntil.toISOString(),
        guests,
        flightNumber,
      },
    });
    return invitation;
  });
}
