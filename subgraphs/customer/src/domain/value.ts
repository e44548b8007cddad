import { recordEvent, requireLength, type Caller, type Database, type EventContext, type Executor } from '@cmp/platform';
import { readValueInputs, updateCustomerValue, type ValueInputs } from '../db/commerce.repo.ts';
import { recordHistory, type NewHistoryEntry } from '../db/history.repo.ts';
import { outbox, type CustomerRow } from '../db/schema.ts';
import { requireLiveCustomer } from './guards.ts';
import { ratingFor, refundedShareBasisPoints, type CustomerRating } from './rating.ts';
import { segmentFor, type CustomerSegment } from './segments.ts';

export const SEGMENT_CHANGED = 'cmp.customer.CustomerSegmentChanged';
export const RATING_CHANGED = 'cmp.customer.CustomerRatingChanged';
export const LIFETIME_VALUE_CHANGED = 'cmp.customer.CustomerLifetimeValueChanged';

type Source = 'AUTOMATIC' | 'MANUAL';

export function ratingOf(inputs: ValueInputs): CustomerRating {
  return ratingFor({
    paidPurchases: inputs.paidPurchases,
    refundedShareBasisPoints: refundedShareBasisPoints(inputs.reportingAmountMinor, inputs.reportingRefundedMinor),
    eventsAttended: inputs.eventsAttended,
    complaints: inputs.complaints,
    testimonials: inputs.testimonials,
  });
}

function customerEvent(tx: Executor, events: EventContext, customerId: string, type: string, data: Record<string, unknown>) {
  return recordEvent(tx, outbox, events, { type, aggregateType: 'Customer', aggregateId: customerId, customerId, data: { customerId, ...data } });
}

/**
 * Recomputes the lifetime value from the customer's purchases (one SUM), then the segment and the rating by
 * their rules unless fixed by hand, and writes history and events for what changed only. Runs in the caller's
 * transaction, which must already hold the customer's row lock (`requireLiveCustomer(..., { forUpdate: true })`
 * or the merge's own lock), so concurrent purchases of one customer add up one after another.
 */
export async function refreshCustomerValue(tx: Executor, customerId: string, actor: string, events: EventContext, reason: string): Promise<void> {
  const inputs = await readValueInputs(tx, customerId);
  if (!inputs) return;
  const { customer } = inputs;
  const history: NewHistoryEntry[] = [];
  const changes: Partial<CustomerRow> = {};

  if (inputs.lifetimeValueMinor !== customer.lifetimeValueMinor) {
    changes.lifetimeValueMinor = inputs.lifetimeValueMinor;
    history.push(entry(customerId, 'LIFETIME_VALUE', String(customer.lifetimeValueMinor), String(inputs.lifetimeValueMinor), 'AUTOMATIC', actor, reason));
    await customerEvent(tx, events, customerId, LIFETIME_VALUE_CHANGED, {
      fromMinor: customer.lifetimeValueMinor,
      toMinor: inputs.lifetimeValueMinor,
      currency: 'EUR',
      reason,
    });
  }
  const segment = segmentFor(customer.type, inputs.lifetimeValueMinor);
  if (!customer.segmentOverridden && segment !== customer.segment) {
    changes.segment = segment;
    history.push(entry(customerId, 'SEGMENT', customer.segment, segment, 'AUTOMATIC', actor, reason));
    await customerEvent(tx, events, customerId, SEGMENT_CHANGED, { from: customer.segment, to: segment, source: 'AUTOMATIC', reason });
  }
  const rating = ratingOf(inputs);
  if (!customer.ratingOverridden && rating !== customer.rating) {
    changes.rating = rating;
    history.push(entry(customerId, 'RATING', customer.rating, rating, 'AUTOMATIC', actor, reason));
    await customerEvent(tx, events, customerId, RATING_CHANGED, { from: customer.rating, to: rating, source: 'AUTOMATIC', reason });
  }
  if (Object.keys(changes).length) await updateCustomerValue(tx, customerId, changes);
  await recordHistory(tx, history);
}

function entry(customerId: string, attribute: NewHistoryEntry['attribute'], from: string, to: string, source: Source, actor: string, reason: string): NewHistoryEntry {
  return { customerId, attribute, fromValue: from, toValue: to, source, actor, reason };
}

const overrideReason = (reason: string) => requireLength('reason', reason, { min: 3, max: 500 });

/**
 * Fixes the segment by hand, or with `segment` null returns it to the automatic rules (recomputed at once).
 * Every override is a MANUAL history entry with who and why; the event goes out when the segment changes.
 */
export async function overrideSegment(
  db: Database,
  caller: Caller,
  events: EventContext,
  customerId: string,
  segment: CustomerSegment | null,
  rawReason: string,
): Promise<CustomerRow> {
  const reason = overrideReason(rawReason);
  return db.transaction(async (tx) => {
    const customer = await requireLiveCustomer(tx, customerId, { forUpdate: true });
    const inputs = (await readValueInputs(tx, customer.id))!;
    const to = segment ?? segmentFor(customer.type, inputs.lifetimeValueMinor);
    const updated = await updateCustomerValue(tx, customer.id, { segment: to, segmentOverridden: segment !== null });
    await recordHistory(tx, [
      entry(customer.id, 'SEGMENT', customer.segment, to, 'MANUAL', caller.subject, segment ? reason : `returned to the automatic rules: ${reason}`),
    ]);
    if (to !== customer.segment) {
      await customerEvent(tx, events, customer.id, SEGMENT_CHANGED, { from: customer.segment, to, source: 'MANUAL', reason, overridden: segment !== null });
    }
    return updated;
  });
}

/** The rating's counterpart of `overrideSegment`. */
export async function overrideRating(
  db: Database,
  caller: Caller,
  events: EventContext,
  customerId: string,
  rating: CustomerRating | null,
  rawReason: string,
): Promise<CustomerRow> {
  const reason = overrideReason(rawReason);
  return db.transaction(async (tx) => {
    const customer = await requireLiveCustomer(tx, customerId, { forUpdate: true });
    const to = rating ?? ratingOf((await readValueInputs(tx, customer.id))!);
    const updated = await updateCustomerValue(tx, customer.id, { rating: to, ratingOverridden: rating !== null });
    await recordHistory(tx, [
      entry(customer.id, 'RATING', customer.rating, to, 'MANUAL', caller.subject, rating ? reason : `returned to the automatic rules: ${reason}`),
    ]);
    if (to !== customer.rating) {
      await customerEvent(tx, events, customer.id, RATING_CHANGED, { from: customer.rating, to, source: 'MANUAL', reason, overridden: rating !== null });
    }
    return updated;
  });
}
