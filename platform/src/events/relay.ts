import { asc, eq, inArray, isNull, sql } from 'drizzle-orm';
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

/** Relays of this process by subgraph, so that whoever just committed events can wake its relay. */
const relaysByName = new Map<string, Set<OutboxRelay>>();

/**
 * Tells this process's relay of `name` that events were just committed, so they go out now rather than at the
 * next poll (a mutation's events, a consumer's own events). Other replicas still find them by polling.
 */
export function nudgeOutbox(name: string): void {
  for (const relay of relaysByName.get(name) ?? []) relay.nudge();
}

// Long enough for a burst of commits to go out in one drain, short beside any latency a person would notice.
const NUDGE_DELAY_MS = 20;

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
 * Publishes committed outbox rows, in order per aggregate, and marks them sent. Delivery is at least once: a row
 * is marked only after the bus accepted it, and a failure stops its aggregate (so no later event of the same
 * aggregate overtakes it) and backs off exponentially. The advisory lock keeps replicas from relaying concurrently.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private nudged = false;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  start(): void {
    if (!relaysByName.has(this.options.lockName)) relaysByName.set(this.options.lockName, new Set());
    relaysByName.get(this.options.lockName)!.add(this);
    this.schedule(0);
  }

  /** Drains soon (within a few milliseconds, so a burst of commits goes out together) unless backing off. */
  nudge(): void {
    if (this.stopped || this.failures > 0) return;
    if (this.running) {
      this.nudged = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(NUDGE_DELAY_MS);
  }

  /**
   * Relays what is pending now: each aggregate's events in id order, aggregates in parallel. An aggregate whose
   * event the bus refuses stops there (the attempt and the reason are recorded on that row) until the next try;
   * everything published is marked as sent in one statement.
   */
  async drain(): Promise<{ published: number; failed: boolean }> {
    const { db, outbox, bus } = this.options;
    return db.transaction(async (tx) => {
      const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${lockKey(this.options.lockName)}) as locked`);
      if (!resultRows<{ locked: boolean }>(locked)[0]?.locked) return { published: 0, failed: false };
      const pending = await tx.select().from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.id)).limit(this.batchSize);
      // One chain per aggregate, in id order: an aggregate's events are published one after the other, and a
      // failure stops its chain so nothing overtakes the event that failed. Different aggregates go in parallel.
      const chains = new Map<string, OutboxRow[]>();
      for (const row of pending) {
        const key = `${row.aggregateType}/${row.aggregateId}`;
        const chain = chains.get(key);
        if (chain) chain.push(row);
        else chains.set(key, [row]);
      }
      const published: number[] = [];
      const failures: { row: OutboxRow; error: Error }[] = [];
      await Promise.all(
        [...chains.values()].map(async (rows) => {
          for (const row of rows) {
            try {
              await bus.publish(toCloudEvent(row));
              published.push(row.id);
            } catch (error) {
              failures.push({ row, error: error as Error });
              return;
            }
          }
        }),
      );
      if (published.length > 0) await tx.update(outbox).set({ publishedAt: new Date() }).where(inArray(outbox.id, published));
      for (const { row, error } of failures) {
        this.options.logger.warn({ err: error, outboxId: row.id, type: row.type }, 'event not delivered; will retry');
        await tx
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error.message.slice(0, 1000) })
          .where(eq(outbox.id, row.id));
      }
      return { published: published.length, failed: failures.length > 0 };
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
    // A full batch leaves more behind: at once. Commits during the drain: after the nudge delay, so that under a
    // steady stream each drain takes what a few milliseconds brought rather than one event at a time.
    const delay = outcome.published === this.batchSize ? 0 : this.nudged ? NUDGE_DELAY_MS : this.pollIntervalMs;
    this.nudged = false;
    this.schedule(delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    relaysByName.get(this.options.lockName)?.delete(this);
    clearTimeout(this.timer);
    await this.running;
  }
}
