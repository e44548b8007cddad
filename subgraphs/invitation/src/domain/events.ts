import { recordEvent, type EventContext, type Executor } from '@cmp/platform';
import { outbox, type InvitationRow, type InvitationStatus, type ScanRow } from '../db/schema.ts';

/** What the CRM needs to deliver an invitation (e-mail with the QR, push to the app); never the QR itself. */
export function deliveryData(invitation: InvitationRow) {
  return {
    invitationId: invitation.id,
    customerId: invitation.customerId,
    loungeCode: invitation.loungeCode,
    validFrom: invitation.validFrom.toISOString(),
    validUntil: invitation.validUntil.toISOString(),
    guests: invitation.guests,
    flightNumber: invitation.flightNumber,
    cabin: invitation.cabin,
  };
}

export function recordInvitationEvent(
  tx: Executor,
  events: EventContext,
  type: 'InvitationIssued' | 'InvitationResent',
  invitation: InvitationRow,
): Promise<string> {
  return recordEvent(tx, outbox, events, {
    type: `cmp.invitation.${type}`,
    aggregateType: 'Invitation',
    aggregateId: invitation.id,
    customerId: invitation.customerId,
    data: { ...deliveryData(invitation), sentCount: invitation.sentCount },
  });
}

export function recordStatusChanged(
  tx: Executor,
  events: EventContext,
  invitation: InvitationRow,
  previousStatus: InvitationStatus,
  reason: string,
  changedBy: string,
): Promise<string> {
  return recordEvent(tx, outbox, events, {
    type: 'cmp.invitation.InvitationStatusChanged',
    aggregateType: 'Invitation',
    aggregateId: invitation.id,
    customerId: invitation.customerId,
    data: {
      invitationId: invitation.id,
      customerId: invitation.customerId,
      loungeCode: invitation.loungeCode,
      previousStatus,
      status: invitation.status,
      entriesUsed: invitation.entriesUsed,
      reason,
      changedBy,
    },
  });
}

/** Every recorded scan, for lounge dashboards, the customer's app and the data platform. */
export function recordScanned(tx: Executor, events: EventContext, scan: ScanRow, customerId: string | null): Promise<string> {
  return recordEvent(tx, outbox, events, {
    type: 'cmp.invitation.QrScanned',
    aggregateType: 'Invitation',
    aggregateId: scan.invitationId,
    customerId,
    data: {
      scanId: scan.id,
      invitationId: scan.invitationId,
      customerId,
      loungeCode: scan.loungeCode,
      deviceId: scan.deviceId,
      outcome: scan.outcome,
      admitted: scan.admitted,
      entriesRemaining: scan.entriesRemaining,
      scannedAt: scan.scannedAt.toISOString(),
    },
  });
}
