import { randomUUID } from 'node:crypto';
import type { Database, EventContext, Logger } from '@cmp/platform';
import { inArray } from 'drizzle-orm';
import { invitations, scans, type ScanOutcome } from '../db/schema.ts';
import { recordScanned } from './events.ts';

export interface DeferredScan {
  invitationId: string;
  loungeCode: string;
  deviceId: string;
  outcome: ScanOutcome;
  scannedAt: Date;
  events: EventContext;
}

export interface ScanRecorderOptions {
  intervalMs?: number;
  /** Scans held at most; beyond it new ones are dropped and counted (the answer at the door is unaffected). */
  maxPending?: number;
}

/**
 * Records the scans the door decided from the signed code alone (WRONG_LOUNGE, EXPIRED, NOT_YET_VALID): they cost
 * no database work while the scanner waits. Held in memory and written in one transaction per interval with their
 * QrScanned events; bounded, so a flood of replayed stale codes cannot grow memory.
 */
export class ScanRecorder {
  private pending: DeferredScan[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly options: ScanRecorderOptions = {},
  ) {}

  record(scan: DeferredScan): void {
    if (this.pending.length >= (this.options.maxPending ?? 10_000)) {
      this.dropped += 1;
      if (this.dropped % 1_000 === 1) this.log.warn({ dropped: this.dropped }, 'scan recorder full: dropping deferred scans');
      return;
    }
    this.pending.push(scan);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes what is pending; calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      await this.db.transaction(async (tx) => {
        const owners = await tx
          .select({ id: invitations.id, customerId: invitations.customerId })
          .from(invitations)
          .where(inArray(invitations.id, [...new Set(batch.map((s) => s.invitationId))]));
        const customerOf = new Map(owners.map((o) => [o.id, o.customerId]));
        const withIds = batch.map((scan) => ({ ...scan, id: randomUUID() }));
        const rows = await tx
          .insert(scans)
          .values(withIds.map(({ events: _events, ...scan }) => ({ ...scan, admitted: 0 })))
          .returning();
        const contextOf = new Map<string, EventContext>(withIds.map((s) => [s.id, s.events]));
        for (const row of rows) await recordScanned(tx, contextOf.get(row.id)!, row, customerOf.get(row.invitationId) ?? null);
      });
    } catch (error) {
      // Kept for the next interval rather than lost; the bound above still applies.
      this.log.error({ err: error, scans: batch.length }, 'recording deferred scans failed; will retry');
      this.pending = [...batch, ...this.pending].slice(0, this.options.maxPending ?? 10_000);
    }
  }
}
