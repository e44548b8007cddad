import { randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  Privilege,
  requirePrivilege,
  preparedStatement,
  uniqueViolationConstraint,
  type Caller,
  type Database,
  type EventContext,
  type Logger,
} from '@cmp/platform';
import { and, eq, sql } from 'drizzle-orm';
import { invitations, outbox, scans, type InvitationRow, type LoungeDeviceRow, type ScanOutcome } from '../db/schema.ts';
import { verifyQr } from '../qr/payload.ts';
import type { InvitationRuntime } from '../runtime.ts';
import { QR_SCANNED, STATUS_CHANGED, recordScanned, scannedData, statusChangedData } from './events.ts';

export interface ValidateQrInput {
  payload: string;
  idempotencyKey?: string | null;
}

export interface QrValidation {
  outcome: ScanOutcome;
  /** Entries (holder and guests) the code still admits; null when the code admits nobody any more or was not read. */
  entriesRemaining: number | null;
  /** The scanned invitation, when the code was read at its own lounge; loaded only if the client selects it. */
  invitationId: string | null;
  invitation: InvitationRow | null;
  /** True when this answer is the stored answer to an earlier scan with the same idempotency key. */
  replayed: boolean;
  /** Whose invitation was scanned, when known: the audit record of the scan names the customer. */
  customerId?: string | null;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * Invalid codes are logged per device at most every 10 s, with the count since the last line: a scanner fed
 * garbage (or an attacker) cannot flood the logs any more than the database.
 */
class InvalidScanLog {
  private readonly seen = new Map<string, { count: number; since: number }>();

  note(log: Logger, device: LoungeDeviceRow, reason: string, now: number): void {
    const entry = this.seen.get(device.id) ?? { count: 0, since: 0 };
    entry.count += 1;
    this.seen.set(device.id, entry);
    if (now - entry.since < 10_000) return;
    log.warn({ deviceId: device.id, loungeCode: device.loungeCode, reason, invalidScans: entry.count }, 'invalid QR codes presented');
    this.seen.set(device.id, { count: 0, since: now });
  }
}

const invalidScans = new InvalidScanLog();

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
 * window), so a forged, truncated, altered or stale code costs no database work at all. A good code is redeemed by
 * one conditional UPDATE (ISSUED, right lounge, inside its window, entries below 1 + guests) in the same statement
 * as its scan row and events; concurrent scans of one code queue on its row and never admit more than that. The
 * scan row carries the device's idempotency key: a retry with the key fails its unique index, which undoes the
 * retry's own redemption, and is answered with what the first scan answered.
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
    invalidScans.note(log, device, verified.reason, now.getTime());
    return { outcome: 'INVALID', entriesRemaining: null, invitationId: null, invitation: null, replayed: false };
  }
  const qr = verified.qr;
  const early: ScanOutcome | null =
    qr.loungeCode !== device.loungeCode ? 'WRONG_LOUNGE' : now < qr.notBefore ? 'NOT_YET_VALID' : now >= qr.expiresAt ? 'EXPIRED' : null;
  if (early) {
    runtime.recorder.record({ invitationId: qr.invitationId, loungeCode: device.loungeCode, deviceId: device.id, outcome: early, scannedAt: now, events });
    return { outcome: early, entriesRemaining: null, invitationId: null, invitation: null, replayed: false };
  }

  try {
    const fast = await admitInOneStatement(db, events, device, qr.invitationId, idempotencyKey, now);
    if (fast) return fast;
    // Not admitted: record why, from the invitation as it now is (entries only grow and a status never returns
    // to ISSUED, so what refused the UPDATE still holds).
    return await db.transaction(async (tx) => {
      const [row] = await tx.select().from(invitations).where(eq(invitations.id, qr.invitationId));
      const outcome = refusal(row, device.loungeCode, now);
      const entriesRemaining = row ? remaining(row) : null;
      const [scan] = await tx
        .insert(scans)
        .values({
          invitationId: qr.invitationId,
          loungeCode: device.loungeCode,
          deviceId: device.id,
          outcome,
          entriesRemaining,
          idempotencyKey,
          scannedAt: now,
        })
        .onConflictDoNothing({ target: [scans.deviceId, scans.idempotencyKey] })
        .returning();
      if (!scan) throw new ReplayedScan();
      await recordScanned(tx, events, scan, row?.customerId ?? null);
      return { outcome, entriesRemaining, invitationId: row?.id ?? null, invitation: row ?? null, replayed: false, customerId: row?.customerId ?? null };
    });
  } catch (error) {
    if (!(error instanceof ReplayedScan) && uniqueViolationConstraint(error) !== 'scans_idempotency_key') throw error;
    return replay(db, device.id, idempotencyKey!);
  }
}

/**
 * The door's common case in one statement and one round trip: the conditional UPDATE that admits, the scan row
 * and its events, committed together or not at all. Rendered once for the process and prepared, so a scan pays for
 * neither drizzle's query building nor Postgres's planning.
 */
const admitStatement = preparedStatement<{ customer_id: string; status: InvitationRow['status']; remaining: number }>('invitation_admit', () => {
  const p = sql.placeholder;
  return sql`
      with redeemed as (
        update ${invitations}
           set entries_used = entries_used + 1,
               status = case when entries_used + 1 >= guests + 1 then 'USED' else status end,
               updated_at = ${p('at')}::timestamptz
         where id = ${p('invitationId')} and lounge_code = ${p('loungeCode')} and status = 'ISSUED'
           and entries_used < guests + 1 and valid_from <= ${p('at')}::timestamptz and valid_until > ${p('at')}::timestamptz
        returning customer_id, status, entries_used, guests + 1 - entries_used as remaining
      ), scan as (
        insert into ${scans} (id, invitation_id, lounge_code, device_id, outcome, admitted, entries_remaining, idempotency_key, scanned_at)
        select ${p('scanId')}, ${p('invitationId')}, ${p('loungeCode')}, ${p('deviceId')}, 'ADMITTED', 1, remaining, ${p('idempotencyKey')}, ${p('at')}::timestamptz
          from redeemed
      ), scan_events as (
        -- QrScanned first, then InvitationStatusChanged when this entry was the last: ids in that order.
        insert into ${outbox} (event_id, type, source, aggregate_type, aggregate_id, customer_id, data, traceparent)
        select event_id, type, ${p('source')}, 'Invitation', ${p('invitationId')}, customer_id, data, ${p('traceparent')}
          from (
            select 1 as position, ${p('scannedEventId')}::uuid as event_id, ${QR_SCANNED} as type, customer_id,
                   ${p('scanned')}::jsonb || jsonb_build_object('customerId', customer_id, 'entriesRemaining', remaining) as data
              from redeemed
            union all
            select 2, ${p('usedEventId')}::uuid, ${STATUS_CHANGED}, customer_id,
                   ${p('used')}::jsonb || jsonb_build_object('customerId', customer_id, 'entriesUsed', entries_used)
              from redeemed where status = 'USED'
          ) e
         order by position
      )
      select customer_id, status, remaining from redeemed`;
});

/**
 * Admits in one statement (`admitStatement`). Null when the UPDATE matched nothing (the code no longer admits, or
 * is not yet or no longer valid): the transaction below then finds out why. A retried scan whose key is already
 * recorded fails the scan insert's unique index, which undoes the whole statement; the caller answers with the
 * first scan.
 */
async function admitInOneStatement(
  db: Database,
  events: EventContext,
  device: LoungeDeviceRow,
  invitationId: string,
  idempotencyKey: string | null,
  now: Date,
): Promise<QrValidation | null> {
  const scanId = randomUUID();
  const scanned = scannedData(
    { id: scanId, invitationId, loungeCode: device.loungeCode, deviceId: device.id, outcome: 'ADMITTED', admitted: 1, entriesRemaining: null, scannedAt: now },
    null,
  );
  const used = statusChangedData(
    { id: invitationId, customerId: null, loungeCode: device.loungeCode, status: 'USED', entriesUsed: null } as unknown as InvitationRow,
    'ISSUED',
    'ENTRIES_EXHAUSTED',
    device.id,
  );
  const [row] = await admitStatement.execute(db, {
    at: now.toISOString(),
    invitationId,
    loungeCode: device.loungeCode,
    scanId,
    deviceId: device.id,
    idempotencyKey,
    source: events.source,
    traceparent: events.traceparent ?? null,
    scannedEventId: randomUUID(),
    scanned: JSON.stringify(scanned),
    usedEventId: randomUUID(),
    used: JSON.stringify(used),
  });
  if (!row) return null;
  return { outcome: 'ADMITTED', entriesRemaining: Number(row.remaining), invitationId, invitation: null, replayed: false, customerId: row.customer_id };
}

async function replay(db: Database, deviceId: string, idempotencyKey: string): Promise<QrValidation> {
  const [first] = await db
    .select()
    .from(scans)
    .where(and(eq(scans.deviceId, deviceId), eq(scans.idempotencyKey, idempotencyKey)));
  const [invitation] = await db.select().from(invitations).where(eq(invitations.id, first!.invitationId));
  return { outcome: first!.outcome, entriesRemaining: first!.entriesRemaining, invitationId: invitation?.id ?? null, invitation: invitation ?? null, replayed: true, customerId: invitation?.customerId ?? null };
}
