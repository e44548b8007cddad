import type { Database } from '../db/database.ts';
import type { CloudEvent } from './envelope.ts';

/**
 * A subgraph's reaction to other subgraphs' events. Delivery is at least once, so `handle` must be idempotent
 * (record the event id it applied, or write with a unique event id).
 */
export interface EventConsumer {
  /** Durable name, e.g. `interaction.timeline`. */
  name: string;
  types: readonly string[];
  /** How far the consumer's order reaches (see `EventSubscription.orderedWithin`); everything it takes by default. */
  orderedWithin?: 'type' | 'source';
  handle(db: Database, event: CloudEvent): Promise<void>;
}
