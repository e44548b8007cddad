import type { Logger } from '../logger.ts';
import type { CloudEvent } from './envelope.ts';

export type EventHandler = (event: CloudEvent) => Promise<void>;

/** In a subscription's types: every event of every subgraph. */
export const ALL_EVENTS = '*';

export interface EventSubscription {
  /** Durable consumer name: one logical consumer, however many replicas run it. */
  consumer: string;
  /** Event types this consumer wants, or `ALL_EVENTS`. */
  types: readonly string[];
  handler: EventHandler;
  /**
   * How far the consumer's order reaches, so a bus may deliver its events through several consumers: `type`, each
   * type applied on its own; `source`, each source subgraph's events in their order (an aggregate's events all come
   * from one subgraph, so each aggregate's order holds). NATS before 2.10 filters a consumer on one subject only: a
   * consumer of several subgraphs' types would otherwise read, and acknowledge, every event of the platform.
   */
  orderedWithin?: 'type' | 'source';
}

/** A live listener: sees events published from now on, in every process that listens (no acknowledgement, no replay). */
export type EventListener = (event: CloudEvent) => void;

export interface EventBus {
  /** Resolves once every interested consumer has applied the event; rejects if one failed (so it is retried). */
  publish(event: CloudEvent): Promise<void>;
  /** A durable consumer: each event reaches one replica of it, at least once, until it is applied. */
  subscribe(subscription: EventSubscription): () => void;
  /**
   * Fan-out to every listening process (the gateways' subscriptions): each event of `types` published while
   * listening, at most once, never holding up the publisher. Returns the function that stops listening.
   */
  listen(types: readonly string[], listener: EventListener): () => void;
  close(): Promise<void>;
}

/**
 * The embedded mode's bus: delivery inside one process. Publishing waits for the consumers, so a failed consumer
 * leaves the outbox row unsent and the relay delivers it again; consumers are idempotent by event id.
 */
export class InProcessEventBus implements EventBus {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly listeners = new Set<{ types: readonly string[]; listener: EventListener }>();

  constructor(private readonly logger: Logger) {}

  async publish(event: CloudEvent): Promise<void> {
    for (const { types, listener } of this.listeners) {
      if (!types.includes(event.type)) continue;
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: error, eventId: event.id, type: event.type }, 'event listener failed');
      }
    }
    const interested = [...this.subscriptions].filter((s) => s.types.includes(event.type) || s.types.includes(ALL_EVENTS));
    const results = await Promise.allSettled(interested.map((s) => s.handler(event)));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ consumer: interested[i]!.consumer, reason: r.reason }] : []));
    for (const f of failures) {
      this.logger.warn({ err: f.reason, consumer: f.consumer, eventId: event.id, type: event.type }, 'consumer failed; will be redelivered');
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} consumer(s) failed for ${event.type} ${event.id}: ${failures.map((f) => f.consumer).join(', ')}`);
    }
  }

  subscribe(subscription: EventSubscription): () => void {
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  listen(types: readonly string[], listener: EventListener): () => void {
    const entry = { types, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  async close(): Promise<void> {
    this.subscriptions.clear();
    this.listeners.clear();
  }
}
