import { asc, eq, isNull, sql } from 'drizzle-orm';
import { advisoryLockKey, type Database } from '../db/database.ts';
import type { OutboxTable } from '../db/outbox.ts';
import type { Logger } from '../logger.ts';
import { resultRows } from '../validation.ts';
import type { EventBus } from './bus.ts';
import type { CloudEvent } from './envelope.ts';

export interface OutboxRelayOptions {
  db: Database;
  outbox: OutboxTable;
  bus: EventBus;
  logger: Logger;
  /** Names the advisory lock: one relay per subgraph publishes at a time, across replicas. */
  lockName: string;
  batchSize?: number;
  pollIntervalMs?: number;
  maxBackoffMs?: number;
}

const lockKey = (name: string) => advisoryLockKey(`cmp-relay:${name}`);

export type OutboxRow = OutboxTable['$inferSelect'];

export function toCloudEvent(row: OutboxRow): CloudEvent {
  return {
    specversion: '1.0',
    id: row.eventId,
    source: row.source,
    type: row.type,
    subject: `${row.aggregateType}/${row.aggregateId}`,
    time: row.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    data: row.data,
    ...(row.traceparent ? { traceparent: row.traceparent } : {}),
    ...(row.customerId ? { customerid: row.customerId } : {}),
  };
}

/**
 * Publishes committed outbox rows in id order and marks them sent. Delivery is at least once: a row is marked
 * only after the bus accepted it, and a failure stops the batch (so no later event of the same aggregate
 * overtakes it) and backs off exponentially. The advisory lock keeps replicas from relaying concurrently.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * Relays what is pending now, in id order. Stops at the first row the bus refuses, recording the attempt and
   * the reason on that row; the rows before it stay marked as sent.
   */
  async drain(): Promise<{ published: number; failed: boolean }> {
    const { db, outbox, bus } = this.options;
    return db.transaction(async (tx) => {
      const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${lockKey(this.options.lockName)}) as locked`);
      if (!resultRows<{ locked: boolean }>(locked)[0]?.locked) return { published: 0, failed: false };
      const pending = await tx.select().from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.id)).limit(this.batchSize);
      let published = 0;
      for (const entry of pending) {
        const failure = await bus.publish(toCloudEvent(entry)).then(
          () => null,
          (error: unknown) => error as Error,
        );
        if (failure) {
          this.options.logger.warn({ err: failure, outboxId: entry.id, type: entry.type }, 'event not delivered; will retry');
          await tx
            .update(outbox)
            .set({ attempts: sql`${outbox.attempts} + 1`, lastError: failure.message.slice(0, 1000) })
            .where(eq(outbox.id, entry.id));
          return { published, failed: true };
        }
        await tx.update(outbox).set({ publishedAt: new Date() }).where(eq(outbox.id, entry.id));
        published++;
      }
      return { published, failed: false };
    });
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let outcome: { published: number; failed: boolean };
    try {
      outcome = await this.drain();
    } catch (error) {
      // The database itself failed (down, restarting): nothing was marked, so nothing is lost.
      this.options.logger.warn({ err: error }, 'outbox relay could not read the outbox');
      outcome = { published: 0, failed: true };
    }
    if (outcome.failed) {
      this.failures++;
      this.schedule(Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** this.failures));
      return;
    }
    this.failures = 0;
    this.schedule(outcome.published === this.batchSize ? 0 : this.pollIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
