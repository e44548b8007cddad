import {
  DomainRuleError,
  startIntervalJob,
  NotFoundError,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
  type Logger,
  type RunningJob,
} from '@cmp/platform';
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import { invitations, type InvitationRow } from '../db/schema.ts';
import { recordInvitationEvent, recordStatusChanged } from './events.ts';

/** A resend goes out at most once a minute: a double click does not send two e-mails. */
export const RESEND_INTERVAL_MS = 60_000;

async function current(db: Executor, id: string): Promise<InvitationRow> {
  const [row] = await db.select().from(invitations).where(eq(invitations.id, id));
  if (!row) throw new NotFoundError('Invitation', id, 'INV-001');
  return row;
}

/** ISSUED → REVOKED, with who and why; a used, expired or revoked invitation stays as it is. */
export async function revokeInvitation(db: Database, caller: Caller, events: EventContext, rawId: string, rawReason: string, now = new Date()) {
  const id = requireUuid('id', rawId);
  const reason = requireLength('reason', rawReason, { min: 3, max: 500 });
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ status: 'REVOKED', revokedAt: now, revokedBy: caller.subject, revocationReason: reason, updatedAt: now })
      .where(and(eq(invitations.id, id), eq(invitations.status, 'ISSUED')))
      .returning();
    if (!row) {
      const existing = await current(tx, id);
      throw new DomainRuleError('INV-004', `Invitation ${id} is ${existing.status} and can no longer be revoked`, { status: existing.status });
    }
    await recordStatusChanged(tx, events, row, 'ISSUED', reason, caller.subject);
    return row;
  });
}

/** Sends a live invitation to the customer again (the CRM delivers InvitationResent like InvitationIssued). */
export async function resendInvitation(db: Database, caller: Caller, events: EventContext, rawId: string, now = new Date()) {
  const id = requireUuid('id', rawId);
  const existing = await current(db, id);
  if (existing.status !== 'ISSUED' || existing.validUntil <= now) {
    throw new DomainRuleError('INV-004', `Invitation ${id} is ${existing.validUntil <= now ? 'EXPIRED' : existing.status} and cannot be resent`, {
      status: existing.status,
    });
  }
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ sentCount: existing.sentCount + 1, lastSentAt: now, updatedAt: now })
      .where(and(eq(invitations.id, id), eq(invitations.status, 'ISSUED'), lte(invitations.lastSentAt, new Date(now.getTime() - RESEND_INTERVAL_MS))))
      .returning();
    if (!row) {
      throw new DomainRuleError('INV-005', 'The invitation was sent less than a minute ago; wait before sending it again', {
        retryAfterSeconds: Math.ceil(RESEND_INTERVAL_MS / 1000),
      });
    }
    await recordInvitationEvent(tx, events, 'InvitationResent', row, caller.subject);
    return row;
  });
}

/**
 * Marks ISSUED invitations whose window has ended as EXPIRED, in batches. Rows are claimed with FOR UPDATE SKIP
 * LOCKED, so several replicas running the job at once split the work and never expire (or announce) one twice.
 */
export async function expireInvitations(db: Database, events: EventContext, now = new Date(), batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await db.transaction(async (tx) => {
      const due = await tx
        .select({ id: invitations.id })
        .from(invitations)
        .where(and(eq(invitations.status, 'ISSUED'), lte(invitations.validUntil, now)))
        .orderBy(asc(invitations.validUntil))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      const rows = await tx
        .update(invitations)
        .set({ status: 'EXPIRED', updatedAt: now })
        .where(and(inArray(invitations.id, due.map((d) => d.id)), eq(invitations.status, 'ISSUED')))
        .returning();
      for (const row of rows) await recordStatusChanged(tx, events, row, 'ISSUED', 'VALIDITY_ENDED', 'system:expiry');
      return rows;
    });
    total += expired.length;
    if (expired.length < batchSize) return total;
  }
}

/** Runs the expiry every `intervalMs` in this process (replicas split the work). */
export function startExpiryJob(db: Database, log: Logger, intervalMs: number): RunningJob {
  return startIntervalJob('invitation expiry', intervalMs, log, async () => {
    const count = await expireInvitations(db, { source: 'cmp.invitation' });
    if (count > 0) log.info({ count }, 'invitations expired');
  });
}
