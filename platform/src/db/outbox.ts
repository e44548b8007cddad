import { randomUUID } from 'node:crypto';
import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import type { Executor } from './database.ts';

/**
 * The transactional outbox, one per subgraph schema. A state change and its domain event commit together; the
 * relay delivers unpublished rows in id order.
 */
export function defineOutbox(schema: PgSchema) {
  return schema.table(
    'outbox',
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      eventId: uuid('event_id').notNull().unique(),
      type: text('type').notNull(),
      source: text('source').notNull(),
      aggregateType: text('aggregate_type').notNull(),
      aggregateId: text('aggregate_id').notNull(),
      customerId: uuid('customer_id'),
      data: jsonb('data').$type<Record<string, unknown>>().notNull(),
      traceparent: text('traceparent'),
      occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
      publishedAt: timestamp('published_at', { withTimezone: true }),
      attempts: integer('attempts').notNull().default(0),
      lastError: text('last_error'),
    },
    (t) => [index('outbox_unpublished_idx').on(t.id).where(sql`${t.publishedAt} is null`)],
  );
}

export type OutboxTable = ReturnType<typeof defineOutbox>;

export interface DomainEvent<T extends Record<string, unknown> = Record<string, unknown>> {
  /** CloudEvents type, e.g. `cmp.invitation.InvitationIssued`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  customerId?: string | null;
  data: T;
}

export interface EventContext {
  /** The subgraph, as the CloudEvents `source`. */
  source: string;
  traceparent?: string | null;
}

/**
 * The outbox insert as a statement that records the event once per row of `source` (the name of a preceding CTE),
 * for a change that writes its state and its event in one round trip:
 * `with changed as (insert ... returning id), announced as (<this>) select ...` records nothing when nothing changed.
 */
export function recordEventPerRowOf(outbox: OutboxTable, source: string, context: EventContext, event: DomainEvent): SQL {
  return outboxInsertPerRowOf(outbox, source, {
    eventId: randomUUID(),
    type: event.type,
    source: context.source,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    customerId: event.customerId ?? null,
    data: JSON.stringify(event.data),
    traceparent: context.traceparent ?? null,
  });
}

/**
 * The same insert for a statement rendered once (`preparedStatement`): every value is the placeholder of its
 * column's name (`eventId`, `type`, `source`, `aggregateType`, `aggregateId`, `customerId`, `data` as JSON text,
 * `traceparent`), given at each execution.
 */
export function recordEventPerRowOfPlaceholders(outbox: OutboxTable, source: string): SQL {
  const names = ['eventId', 'type', 'source', 'aggregateType', 'aggregateId', 'customerId', 'data', 'traceparent'] as const;
  return outboxInsertPerRowOf(outbox, source, Object.fromEntries(names.map((n) => [n, sql.placeholder(n)])) as Record<(typeof names)[number], Placeholder>);
}

function outboxInsertPerRowOf(
  outbox: OutboxTable,
  source: string,
  v: Record<'eventId' | 'type' | 'source' | 'aggregateType' | 'aggregateId' | 'customerId' | 'data' | 'traceparent', unknown>,
): SQL {
  const columns = [outbox.eventId, outbox.type, outbox.source, outbox.aggregateType, outbox.aggregateId, outbox.customerId, outbox.data, outbox.traceparent];
  return sql`insert into ${outbox} (${sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  )}) select ${v.eventId}::uuid, ${v.type}, ${v.source}, ${v.aggregateType}, ${v.aggregateId}, ${v.customerId}::uuid,
    ${v.data}::jsonb, ${v.traceparent} from ${sql.identifier(source)}`;
}

/** Writes a domain event in the caller's transaction; it is published only if that transaction commits. */
export async function recordEvent(
  tx: Executor,
  outbox: OutboxTable,
  context: EventContext,
  event: DomainEvent,
): Promise<string> {
  const eventId = randomUUID();
  await tx.insert(outbox).values({
    eventId,
    type: event.type,
    source: context.source,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    customerId: event.customerId ?? null,
    data: event.data,
    traceparent: context.traceparent ?? null,
  });
  return eventId;
}
