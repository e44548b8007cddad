import type { CloudEvent } from '@cmp/platform';
import type { NewTimelineEntry } from '../db/schema.ts';
import type { TimelineEntryType } from './types.ts';

type Data = Record<string, unknown>;
type Describe = (data: Data) => string;
interface Projection {
  type: TimelineEntryType;
  describe: Describe;
  /** The record the entry links to, when it is not the event's aggregate (a purchase is announced on its Customer). */
  source?: (data: Data) => { type: string; id: unknown };
  /** When it happened, when that is not when the event was written (a purchase recorded after it was made). */
  occurredAt?: (data: Data) => unknown;
}

const fieldList = (fields: unknown) => (Array.isArray(fields) ? fields.join(', ') : '');

/** Integer minor units as an agent reads them: `1,234.50 EUR` (currencies with two decimals; JPY-like ones have none). */
export function formatMoney(amountMinor: unknown, currency: unknown): string {
  const code = String(currency ?? '');
  const minor = Number(amountMinor);
  const digits = ZERO_DECIMAL.has(code) ? 0 : 2;
  return `${(minor / 10 ** digits).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${code}`.trim();
}
const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'CLP', 'ISK', 'VND', 'XAF', 'XOF']);

const CHANNEL_NAMES: Record<string, string> = { INFLIGHT: 'in-flight', WEB: 'web', ANCILLARY: 'ancillary' };
const purchaseChannel = (channel: unknown) => CHANNEL_NAMES[String(channel)] ?? String(channel ?? '').toLowerCase().replaceAll('_', ' ');
const route = (d: Data) => `${d.flightNumber} ${d.origin}→${d.destination}`;
const day = (iso: unknown) => (typeof iso === 'string' ? iso.slice(0, 10) : '');

/**
 * The keys under which producers put who did something, in the order they are read. Events that carry none (a
 * scheduler's, a projection's, or one whose producer does not say) are the `system`'s.
 */
const ACTOR_KEYS = [
  'actor',
  'changedBy',
  'recordedBy',
  'requestedBy',
  'resolvedBy',
  'openedBy',
  'issuedBy',
  'createdBy',
  'decidedBy',
  'enrolledBy',
  'mergedBy',
  'deactivatedBy',
  'reactivatedBy',
] as const;
export const SYSTEM_ACTOR = 'system';

export function actorOf(data: Data): string {
  for (const key of ACTOR_KEYS) {
    const value = data[key];
    if (typeof value === 'string' && value.trim() !== '') return value.slice(0, 200);
  }
  return SYSTEM_ACTOR;
}

/** How each other subgraph's event reads on the customer's timeline. */
const PROJECTIONS: Record<string, Projection> = {
  'cmp.customer.PurchaseRecorded': {
    type: 'PURCHASE',
    describe: (d) =>
      `Purchase ${d.orderReference}: ${formatMoney(d.amountMinor, d.currency)} (${purchaseChannel(d.channel)}${d.flightNumber ? `, ${d.flightNumber}` : ''})`,
    source: (d) => ({ type: 'Purchase', id: d.purchaseId }),
    occurredAt: (d) => d.purchasedAt,
  },
  'cmp.customer.PurchaseRefunded': {
    type: 'PURCHASE',
    describe: (d) =>
      `${d.status === 'REFUNDED' ? 'Refund' : 'Partial refund'} of ${formatMoney(d.refundMinor, d.currency)} on ${d.orderReference}${d.reason ? `: ${d.reason}` : ''}`,
    source: (d) => ({ type: 'Purchase', id: d.purchaseId }),
  },
  'cmp.customer.TripRecorded': {
    type: 'PURCHASE',
    describe: (d) =>
      `${d.created === false ? 'Trip updated' : 'Trip'} ${route(d)} on ${day(d.scheduledDeparture)}${d.cabin ? `, ${String(d.cabin).toLowerCase().replaceAll('_', ' ')}` : ''}${d.status ? ` (${String(d.status).toLowerCase().replaceAll('_', ' ')})` : ''}`,
    source: (d) => ({ type: 'Trip', id: d.tripId }),
  },
  'cmp.customer.ContactAdded': {
    type: 'PROFILE',
    describe: (d) => `Contact added${d.isPrimary ? ' as the primary contact' : ''}`,
    source: (d) => ({ type: 'Contact', id: d.contactId }),
  },
  'cmp.customer.ContactUpdated': {
    type: 'PROFILE',
    describe: (d) => `Contact updated${fieldList(d.changed) ? `: ${fieldList(d.changed)}` : ''}`,
    source: (d) => ({ type: 'Contact', id: d.contactId }),
  },
  'cmp.customer.ContactRemoved': {
    type: 'PROFILE',
    describe: (d) => `Contact removed${d.newPrimaryContactId ? '; another contact is now the primary' : ''}`,
    source: (d) => ({ type: 'Contact', id: d.contactId }),
  },
  'cmp.customer.PrimaryContactChanged': {
    type: 'PROFILE',
    describe: () => 'Primary contact changed',
    source: (d) => ({ type: 'Contact', id: d.contactId }),
  },
  'cmp.customer.ConsentGranted': { type: 'PROFILE', describe: (d) => `Consent granted: ${d.purpose}${d.source ? ` (${d.source})` : ''}` },
  'cmp.customer.ConsentWithdrawn': { type: 'PROFILE', describe: (d) => `Consent withdrawn: ${d.purpose}${d.source ? ` (${d.source})` : ''}` },
  'cmp.customer.CustomerSegmentChanged': {
    type: 'PROFILE',
    describe: (d) => `Segment ${d.from} → ${d.to}${d.source === 'MANUAL' ? ' (manual)' : ''}${d.reason ? `: ${d.reason}` : ''}`,
  },
  'cmp.customer.CustomerRegistered': { type: 'PROFILE', describe: (d) => `Customer ${d.customerNumber} registered` },
  'cmp.customer.CustomerProfileUpdated': { type: 'PROFILE', describe: (d) => `Profile updated: ${fieldList(d.changedFields)}` },
  'cmp.customer.CustomerContactInfoUpdated': { type: 'PROFILE', describe: (d) => `Contact details updated: ${fieldList(d.changedFields)}` },
  'cmp.customer.CustomerPreferencesUpdated': { type: 'PROFILE', describe: (d) => `Preferences updated: ${fieldList(d.changedFields)}` },
  'cmp.customer.CustomerStatusChanged': { type: 'PROFILE', describe: (d) => `Status ${d.fromStatus} → ${d.toStatus}: ${d.reason}` },
  'cmp.customer.CustomerDeactivated': { type: 'PROFILE', describe: (d) => `Customer deactivated: ${d.reason}` },
  'cmp.customer.CustomerReactivated': { type: 'PROFILE', describe: (d) => `Customer reactivated: ${d.reason}` },
  'cmp.customer.CustomerMerged': { type: 'PROFILE', describe: (d) => `Customer ${d.sourceCustomerNumber ?? d.sourceCustomerId} merged into this record` },
  'cmp.loyalty.LoyaltyAccountMerged': {
    type: 'LOYALTY',
    describe: (d) =>
      d.mode === 'MOVED'
        ? `Loyalty account ${d.memberNumber} moved here from a merged record`
        : `${Number(d.aviosMoved).toLocaleString('en')} Avios and ${d.elitePointsMoved} Elite Points moved here from merged account ${d.sourceMemberNumber}`,
  },
  'cmp.loyalty.LoyaltyMemberEnrolled': {
    type: 'LOYALTY',
    describe: (d) => `Joined Club Iberia Plus at ${d.tier} (${d.memberNumber})`,
  },
  'cmp.loyalty.LoyaltyTierChanged': {
    type: 'LOYALTY',
    describe: (d) => `Tier changed from ${d.fromTier} to ${d.toTier}${d.manual ? ' (manual)' : ''}`,
  },
  'cmp.case.CustomerComplaintReceived': { type: 'CASE', describe: (d) => `Case ${d.caseNumber} opened: ${d.subject}` },
  'cmp.case.CaseStatusChanged': { type: 'CASE', describe: (d) => `Case ${d.caseNumber} ${String(d.fromStatus)} → ${String(d.toStatus)}: ${d.note}` },
  'cmp.case.CaseEscalated': {
    type: 'CASE',
    describe: (d) => `Case ${d.caseNumber} escalated${d.trigger === 'AUTO' ? ' automatically' : ''}${d.reason ? `: ${d.reason}` : ''}`,
  },
  'cmp.case.CustomerComplaintResolved': {
    type: 'CASE',
    describe: (d) => `Case ${d.caseNumber} resolved; customer ${d.customerSatisfied ? 'satisfied' : 'not satisfied, follow-up due'}`,
  },
  'cmp.invitation.InvitationIssued': {
    type: 'INVITATION',
    describe: (d) => `Lounge invitation to ${d.loungeCode} for ${d.flightNumber}`,
  },
  'cmp.invitation.InvitationResent': {
    type: 'INVITATION',
    describe: (d) => `Lounge invitation to ${d.loungeCode} for ${d.flightNumber} sent again`,
  },
  'cmp.invitation.InvitationStatusChanged': {
    type: 'INVITATION',
    describe: (d) =>
      d.status === 'REVOKED'
        ? `Lounge invitation to ${d.loungeCode} revoked: ${d.reason}`
        : d.status === 'EXPIRED'
          ? `Lounge invitation to ${d.loungeCode} expired`
          : `Lounge invitation to ${d.loungeCode} fully used`,
  },
  'cmp.invitation.QrScanned': {
    type: 'LOUNGE_VISIT',
    describe: (d) =>
      d.outcome === 'ADMITTED'
        ? `Admitted to ${d.loungeCode} (${d.entriesRemaining} more ${d.entriesRemaining === 1 ? 'entry' : 'entries'} on the invitation)`
        : `Refused at ${d.loungeCode}: ${String(d.outcome)}`,
  },
};

export const PROJECTED_EVENT_TYPES = Object.keys(PROJECTIONS);

/** The timeline entry for an event, or null when the event concerns no customer or is not shown. */
export function timelineEntryFor(event: CloudEvent): NewTimelineEntry | null {
  const projection = PROJECTIONS[event.type];
  if (!projection || !event.customerid) return null;
  const data = event.data ?? {};
  const [subjectType, subjectId] = event.subject.split('/', 2);
  const source = projection.source?.(data);
  const own = source && typeof source.id === 'string' && source.id !== '' ? { type: source.type, id: source.id } : null;
  return {
    customerId: event.customerid,
    occurredAt: dateOr(projection.occurredAt?.(data), new Date(event.time)),
    type: projection.type,
    summary: truncate(projection.describe(data)),
    sourceType: own?.type ?? subjectType!,
    sourceId: own?.id ?? subjectId ?? event.subject,
    eventId: event.id,
    actor: actorOf(data),
  };
}

function dateOr(value: unknown, fallback: Date): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : fallback;
}

const MAX_SUMMARY = 500;
const truncate = (text: string) => (text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text);

/** Where an entry's record lives, as `<sourceType>:<sourceId>` (what `TimelineEntry.link` shows). */
export function linkOf(entry: { sourceType: string; sourceId: string }): string {
  return `${entry.sourceType}:${entry.sourceId}`;
}
