import { BadUserInputError, Privilege, requirePrivilege, type Caller, type Database, type EventContext, type Logger } from '@cmp/platform';
import { and, eq, gt, lt, lte, sql } from 'drizzle-orm';
import { invitations, scans, type InvitationRow, type ScanOutcome } from '../db/schema.ts';
import { verifyQr } from '../qr/payload.ts';
import type { InvitationRuntime } from '../runtime.ts';
import { recordScanned, recordStatusChanged } from './events.ts';
import type { DeferredScan } from './scan-recorder.ts';

export interface ValidateQrInput {
  payload: string;
  idempotencyKey?: string | null;
}

export interface QrValidation {
  outcome: ScanOutcome;
  /** Entries (holder and guests) the code still admits; null when the code admits nobody any more or was not read. */
  entriesRemaining: number | null;
  invitation: InvitationRow | null;
  /** True when this answer is the stored answer to an earlier scan with the same idempotency key. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;

/** Thrown inside the redemption transaction to undo it when the idempotency key was used before. */
class ReplayedScan extends Error {}

const remaining = (row: InvitationRow) => (row.status === 'ISSUED' || row.status === 'USED' ? Math.max(0, row.guests + 1 - row.entriesUsed) : null);

/** Why a validly signed code did not admit, from the invitation as stored. */
function refusal(row: InvitationRow | undefined, loungeCode: string, now: Date): ScanOutcome {
  if (!row) return 'INVALID';
  if (row.loungeCode !== loungeCode) return 'WRONG_LOUNGE';
  if (row.status === 'REVOKED') return 'REVOKED';
  if (row.status === 'EXPIRED' || row.validUntil <= now) return 'EXPIRED';
  if (row.status === 'USED' || row.entriesUsed >= row.guests + 1) return 'ALREADY_USED';
  if (row.validFrom > now) return 'NOT_YET_VALID';
  return 'INVALID';
}

/**
 * A scan at the lounge door. The code is checked with the key ring alone first (format, key, signature, lounge,
 * window), so a forged, truncated, altered or stale code costs no database work at all. A good code is redeemed in
 * one conditional UPDATE: ISSUED, right lounge, inside its window and entries below 1 + guests; concurrent scans of
 * one code queue on its row and never admit more than that. The scan row, with the device's idempotency key, is
 * written in the same transaction: a retry with the key finds it, undoes its own redemption and answers what the
 * first scan answered.
 */
export async function validateQr(
  db: Database,
  caller: Caller,
  events: EventContext,
  runtime: InvitationRuntime,
  input: ValidateQrInput,
  log: Logger,
  now = new Date(),
): Promise<QrValidation> {
  requirePrivilege(caller, Privilege.QrValidate);
  const idempotencyKey = input.idempotencyKey ?? null;
  if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new BadUserInputError('idempotencyKey', 'must be 8-100 letters, digits or . _ : - (one per physical scan, reused on retries)');
  }
  const device = await runtime.devices.admit(db, caller, now.getTime());

  const verified = verifyQr(input.payload, runtime.keys);
  if (!verified.ok) {
    log.warn({ deviceId: device.id, loungeCode: device.loungeCode, reason: verified.reason }, 'invalid QR code presented');
    return { outcome: 'INVALID', entriesRemaining: null, invitation: null, replayed: false };
  }
  const qr = verified.qr;
  const early: ScanOutcome | null =
    qr.loungeCode !== device.loungeCode ? 'WRONG_LOUNGE' : now < qr.notBefore ? 'NOT_YET_VALID' : now >= qr.expiresAt ? 'EXPIRED' : null;
  if (early) {
    const deferred = { invitationId: qr.invitationId, loungeCode: device.loungeCode, deviceId: device.id, outcome: early, scannedAt: now, events };
    if (runtime.recorder) runtime.recorder.record(deferred);
    else await recordNow(db, deferred);
    return { outcome: early, entriesRemaining: null, invitation: null, replayed: false };
  }

  try {
    return await db.transaction(async (tx) => {
      const [admitted] = await tx
        .update(invitations)
        .set({
          entriesUsed: sql`${invitations.entriesUsed} + 1`,
          status: sql`case when ${invitations.entriesUsed} + 1 >= ${invitations.guests} + 1 then 'USED' else ${invitations.status} end`,
          updatedAt: now,
        })
        .where(
          and(
            eq(invitations.id, qr.invitationId),
            eq(invitations.loungeCode, device.loungeCode),
            eq(invitations.status, 'ISSUED'),
            lt(invitations.entriesUsed, sql`${invitations.guests} + 1`),
            lte(invitations.validFrom, now),
            gt(invitations.validUntil, now),
          ),
        )
        .returning();
      const row = admitted ?? (await tx.select().from(invitations).where(eq(invitations.id, qr.invitationId)))[0];
      const outcome: ScanOutcome = admitted ? 'ADMITTED' : refusal(row, device.loungeCode, now);
      const entriesRemaining = row ? remaining(row) : null;
      const [scan] = await tx
        .insert(scans)
        .values({
          invitationId: qr.invitationId,
          loungeCode: device.loungeCode,
          deviceId: device.id,
          outcome,
          admitted: admitted ? 1 : 0,
          entriesRemaining,
          idempotencyKey,
          scannedAt: now,
        })
        .onConflictDoNothing({ target: [scans.deviceId, scans.idempotencyKey] })
        .returning();
      if (!scan) throw new ReplayedScan();
      await recordScanned(tx, events, scan, row?.customerId ?? null);
      if (admitted?.status === 'USED') await recordStatusChanged(tx, events, admitted, 'ISSUED', 'ENTRIES_EXHAUSTED', device.id);
      return { outcome, entriesRemaining, invitation: row ?? null, replayed: false };
    });
  } catch (error) {
    if (!(error instanceof ReplayedScan)) throw error;
    return replay(db, device.id, idempotencyKey!);
  }
}

async function replay(db: Database, deviceId: string, idempotencyKey: string): Promise<QrValidation> {
  const [first] = await db
    .select()
    .from(scans)
    .where(and(eq(scans.deviceId, deviceId), eq(scans.idempotencyKey, idempotencyKey)));
  const [invitation] = await db.select().from(invitations).where(eq(invitations.id, first!.invitationId));
  return { outcome: first!.outcome, entriesRemaining: first!.entriesRemaining, invitation: invitation ?? null, replayed: true };
}

async function recordNow(db: Database, scan: DeferredScan) {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(scans)
      .values({ invitationId: scan.invitationId, loungeCode: scan.loungeCode, deviceId: scan.deviceId, outcome: scan.outcome, scannedAt: scan.scannedAt })
      .returning();
    const [owner] = await tx.select({ customerId: invitations.customerId }).from(invitations).where(eq(invitations.id, scan.invitationId));
    await recordScanned(tx, scan.events, row!, owner?.customerId ?? null);
  });
}
