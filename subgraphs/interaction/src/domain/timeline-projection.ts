import type { CloudEvent } from '@cmp/platform';
import type { NewTimelineEntry } from '../db/schema.ts';
import type { TimelineEntryType } from './types.ts';

type Describe = (data: Record<string, unknown>) => string;

const fieldList = (fields: unknown) => (Array.isArray(fields) ? fields.join(', ') : '');

/** How each other subgraph's event reads on the customer's timeline. */
const PROJECTIONS: Record<string, { type: TimelineEntryType; describe: Describe }> = {
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
  const [sourceType, sourceId] = event.subject.split('/', 2);
  return {
    customerId: event.customerid,
    occurredAt: new Date(event.time),
    type: projection.type,
    summary: projection.describe(event.data),
    sourceType: sourceType!,
    sourceId: sourceId ?? event.subject,
    eventId: event.id,
  };
}
