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
  by: string,
): Promise<string> {
  return recordEvent(tx, outbox, events, {
    type: `cmp.invitation.${type}`,
    aggregateType: 'Invitation',
    aggregateId: invitation.id,
    customerId: invitation.customerId,
    data: { ...deliveryData(invitation), sentCount: invitation.sentCount, requestedBy: by },
  });
}

export const STATUS_CHANGED = 'cmp.invitation.InvitationStatusChanged';
export const QR_SCANNED = 'cmp.invitation.QrScanned';

export function statusChangedData(invitation: InvitationRow, previousStatus: InvitationStatus, reason: string, changedBy: string) {
  return {
    invitationId: invitation.id,
    customerId: invitation.customerId,
    loungeCode: invitation.loungeCode,
    previousStatus,
    status: invitation.status,
    entriesUsed: invitation.entriesUsed,
    reason,
    changedBy,
  };
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
    type: STATUS_CHANGED,
    aggregateType: 'Invitation',
    aggregateId: invitation.id,
    customerId: invitation.customerId,
    data: statusChangedData(invitation, previousStatus, reason, changedBy),
  });
}

export function scannedData(scan: Omit<ScanRow, 'idempotencyKey'>, customerId: string | null) {
  return {
    scanId: scan.id,
    invitationId: scan.invitationId,
    customerId,
    loungeCode: scan.loungeCode,
    deviceId: scan.deviceId,
    outcome: scan.outcome,
    admitted: scan.admitted,
    entriesRemaining: scan.entriesRemaining,
    scannedAt: scan.scannedAt.toISOString(),
  };
}

/** Every recorded scan, for lounge dashboards, the customer's app and the data platform. */
export function recordScanned(tx: Executor, events: EventContext, scan: ScanRow, customerId: string | null): Promise<string> {
  return recordEvent(tx, outbox, events, {
    type: QR_SCANNED,
    aggregateType: 'Invitation',
    aggregateId: scan.invitationId,
    customerId,
    data: scannedData(scan, customerId),
  });
}
