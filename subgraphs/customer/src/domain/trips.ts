import { BadUserInputError, ConflictError, recordEvent, requireUuid, type Caller, type Database, type EventContext } from '@cmp/platform';
import { upsertTrip } from '../db/commerce.repo.ts';
import { outbox, type TripRow } from '../db/schema.ts';
import { requireLiveCustomer } from './guards.ts';

export interface RecordTripInput {
  customerId: string;
  pnr: string;
  ticketNumber: string;
  flightNumber: string;
  origin: string;
  destination: string;
  scheduledDeparture: Date;
  scheduledArrival: Date;
  actualDeparture?: Date | null;
  actualArrival?: Date | null;
  cabin: TripRow['cabin'];
  status: TripRow['status'];
  bagTags?: string[] | null;
}

const compact = (value: string) => value.replace(/\s+/g, '').toUpperCase();

/** IATA flight designator: a 2-character airline code (letters, or a letter and a digit), 1-4 digits, an optional suffix letter. */
export function normaliseFlightNumber(field: string, value: string): string {
  const flight = compact(value);
  if (!/^(?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}[A-Z]?$/.test(flight)) {
    throw new BadUserInputError(field, 'must be an airline designator and 1-4 digits with an optional letter, such as IB3166');
  }
  return flight;
}

function airport(field: string, value: string): string {
  const code = compact(value);
  if (!/^[A-Z]{3}$/.test(code)) throw new BadUserInputError(field, 'must be a 3-letter IATA airport code such as MAD');
  return code;
}

function validDate(field: string, value: Date | null | undefined): Date | null {
  if (value == null) return null;
  if (Number.isNaN(value.getTime())) throw new BadUserInputError(field, 'must be a date and time');
  return value;
}

export function validateTrip(input: RecordTripInput) {
  const customerId = requireUuid('customerId', input.customerId);
  const pnr = compact(input.pnr);
  if (!/^[A-Z0-9]{6}$/.test(pnr)) throw new BadUserInputError('pnr', 'must be a 6-character booking reference (letters and digits)');
  const ticketNumber = input.ticketNumber.replace(/[\s-]/g, '');
  if (!/^\d{13}$/.test(ticketNumber)) throw new BadUserInputError('ticketNumber', 'must be a 13-digit e-ticket number');
  const flightNumber = normaliseFlightNumber('flightNumber', input.flightNumber);
  const origin = airport('origin', input.origin);
  const destination = airport('destination', input.destination);
  if (origin === destination) throw new BadUserInputError('destination', 'must differ from the origin');
  const scheduledDeparture = validDate('scheduledDeparture', input.scheduledDeparture)!;
  const scheduledArrival = validDate('scheduledArrival', input.scheduledArrival)!;
  if (scheduledArrival <= scheduledDeparture) throw new BadUserInputError('scheduledArrival', 'must be after the scheduled departure');
  const actualDeparture = validDate('actualDeparture', input.actualDeparture);
  const actualArrival = validDate('actualArrival', input.actualArrival);
  if (actualDeparture && actualArrival && actualArrival <= actualDeparture) {
    throw new BadUserInputError('actualArrival', 'must be after the actual departure');
  }
  const bagTags = [...new Set((input.bagTags ?? []).map((t) => t.replace(/\s+/g, '')))];
  bagTags.forEach((tag, i) => {
    if (!/^\d{10}$/.test(tag)) throw new BadUserInputError(`bagTags[${i}]`, 'must be a 10-digit bag tag number');
  });
  return {
    customerId,
    pnr,
    ticketNumber,
    flightNumber,
    origin,
    destination,
    scheduledDeparture,
    scheduledArrival,
    actualDeparture,
    actualArrival,
    cabin: input.cabin,
    status: input.status,
    bagTags,
  };
}

/**
 * Records a flight of the customer's travel history, or updates it when the same ticket, flight and scheduled
 * departure was recorded before (status, times, bags change as the trip goes on). A flight segment already on
 * another customer's history is a CONFLICT.
 */
export async function recordTrip(db: Database, caller: Caller, events: EventContext, input: RecordTripInput): Promise<TripRow> {
  const valid = validateTrip(input);
  return db.transaction(async (tx) => {
    await requireLiveCustomer(tx, valid.customerId, { forUpdate: true });
    const result = await upsertTrip(tx, valid);
    if (!result) {
      throw new ConflictError(`ticketNumber: ticket ${valid.ticketNumber} on ${valid.flightNumber} is on another customer's travel history`, {
        field: 'ticketNumber',
      });
    }
    const { trip, created } = result;
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.TripRecorded',
      aggregateType: 'Customer',
      aggregateId: trip.customerId,
      customerId: trip.customerId,
      data: {
        tripId: trip.id,
        customerId: trip.customerId,
        created,
        pnr: trip.pnr,
        ticketNumber: trip.ticketNumber,
        flightNumber: trip.flightNumber,
        origin: trip.origin,
        destination: trip.destination,
        scheduledDeparture: trip.scheduledDeparture.toISOString(),
        scheduledArrival: trip.scheduledArrival.toISOString(),
        cabin: trip.cabin,
        status: trip.status,
        recordedBy: caller.subject,
      },
    });
    return trip;
  });
}
