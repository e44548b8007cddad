import type { CloudEvent, Database, EventConsumer } from '@cmp/platform';
import { incrementActivity, lockCustomerForEvent, markApplied, type ActivityCounter } from '../db/commerce.repo.ts';
import { refreshCustomerValue } from './value.ts';

export const COMPLAINT_RECEIVED = 'cmp.case.CustomerComplaintReceived';
export const QR_SCANNED = 'cmp.invitation.QrScanned';
/** Not emitted by the interaction subgraph yet; counted as soon as it is. */
export const TESTIMONIAL_APPROVED = 'cmp.interaction.TestimonialApproved';

export const ACTIVITY_CONSUMER = 'customer.activity';
/** Lounge visits are counted once per invitation, however many entries (the guests) it admitted. */
const LOUNGE_VISIT_KEYS = 'customer.activity.lounge-visits';

/** Which counter an event moves, and the key that makes it count once; null for events that count nothing. */
export function countedBy(event: CloudEvent): { counter: ActivityCounter; consumer: string; key: string; reason: string } | null {
  const data = (event.data ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case COMPLAINT_RECEIVED:
      return { counter: 'complaints', consumer: ACTIVITY_CONSUMER, key: event.id, reason: `complaint ${String(data.caseNumber ?? data.caseId ?? event.subject)}` };
    case QR_SCANNED: {
      if (data.outcome !== 'ADMITTED' || typeof data.invitationId !== 'string') return null;
      return { counter: 'eventsAttended', consumer: LOUNGE_VISIT_KEYS, key: data.invitationId, reason: `lounge visit at ${String(data.loungeCode ?? 'a lounge')}` };
    }
    case TESTIMONIAL_APPROVED:
      return { counter: 'testimonials', consumer: ACTIVITY_CONSUMER, key: event.id, reason: 'testimonial approved' };
    default:
      return null;
  }
}

/**
 * Applies one event to the customer's activity counters and re-rates the customer, all in one transaction: the
 * applied key goes in first, so an event delivered again (or a second admitted entry of one invitation) finds it
 * taken and changes nothing. An event about a merged duplicate counts for the customer it was merged into;
 * events about customers this subgraph does not know, or that are deactivated, are ignored.
 */
export async function applyActivityEvent(db: Database, event: CloudEvent): Promise<void> {
  const counted = countedBy(event);
  const customerId = event.customerid;
  if (!counted || !customerId || !/^[0-9a-f-]{36}$/i.test(customerId)) return;
  await db.transaction(async (tx) => {
    const customer = await lockCustomerForEvent(tx, customerId);
    if (!customer) return;
    if (!(await markApplied(tx, counted.consumer, counted.key))) return;
    await incrementActivity(tx, customer.id, counted.counter);
    await refreshCustomerValue(tx, customer.id, 'system', { source: 'cmp.customer', traceparent: event.traceparent ?? null }, counted.reason);
  });
}

/** Complaints, lounge visits and testimonials from the case, invitation and interaction subgraphs, for the rating. */
export const activityConsumer: EventConsumer = {
  name: ACTIVITY_CONSUMER,
  types: [COMPLAINT_RECEIVED, QR_SCANNED, TESTIMONIAL_APPROVED],
  // Each kind is counted on its own: the order between complaints, visits and testimonials does not matter.
  orderedWithin: 'type',
  handle: applyActivityEvent,
};
