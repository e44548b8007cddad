import { defineAuditLog, defineErasedCustomers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { CHANNELS, DIRECTIONS, TIMELINE_ENTRY_TYPES } from '../domain/types.ts';

export const interactionSchema = pgSchema('interaction');

export const interactions = interactionSchema.table(
  'interactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    direction: text('direction', { enum: DIRECTIONS }).notNull(),
    subject: text('subject'),
    summary: text('summary').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedBy: text('recorded_by').notNull(),
    /** Calls: how long the call lasted. */
    durationSeconds: integer('duration_seconds'),
    /** Calls: the agent's notes beyond the summary. */
    notes: text('notes'),
    /** Chats: the conversation as plain text. */
    transcript: text('transcript'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // History reads newest first per customer with a keyset on (occurred_at, id).
  (t) => [index('interactions_customer_idx').on(t.customerId, t.occurredAt.desc(), t.id.desc())],
);

/** The unified customer timeline: a projection of this and every other subgraph's events. */
export const timelineEntries = interactionSchema.table(
  'timeline_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    type: text('type', { enum: TIMELINE_ENTRY_TYPES }).notNull(),
    summary: text('summary').notNull(),
    sourceType: text('source_type').notNull(),
    sourceId: text('source_id').notNull(),
    // The event an entry was projected from: replaying it must not add a second entry.
    eventId: uuid('event_id'),
    /** Who did it: a token subject, or `system` for what no person did. */
    actor: text('actor').notNull().default('system'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('timeline_entries_event_id_key').on(t.eventId),
    index('timeline_entries_customer_idx').on(t.customerId, t.occurredAt.desc(), t.id.desc()),
  ],
);

export type InteractionRow = typeof interactions.$inferSelect;
export type TimelineEntryRow = typeof timelineEntries.$inferSelect;
export type NewTimelineEntry = typeof timelineEntries.$inferInsert;

export const TASK_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;
export const TASK_STATUSES = ['OPEN', 'DONE'] as const;

/** Follow-up tasks on a customer; those created from another subgraph's event keep its id, once. */
export const followUpTasks = interactionSchema.table(
  'follow_up_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    title: text('title').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    priority: text('priority', { enum: TASK_PRIORITIES }).notNull(),
    /** An agent's token subject; null leaves it in the shared queue. */
    assignee: text('assignee'),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('OPEN'),
    /** What the task is about, e.g. Case/<id>. */
    sourceType: text('source_type'),
    sourceId: text('source_id'),
    /** The event that created it: replaying the event creates nothing more. */
    sourceEventId: uuid('source_event_id'),
    notes: text('notes'),
    /** Who created it: a token subject, or `system` for tasks created from events. */
    createdBy: text('created_by').notNull().default('system'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    completedBy: text('completed_by'),
    completionNote: text('completion_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('follow_up_tasks_source_event_key').on(t.sourceEventId),
    index('follow_up_tasks_customer_idx').on(t.customerId, t.dueAt),
    index('follow_up_tasks_assignee_idx').on(t.assignee, t.status, t.dueAt, t.id),
    // The shared queue: open tasks nobody has taken, soonest due first.
    index('follow_up_tasks_queue_idx').on(t.status, t.dueAt, t.id).where(sql`${t.assignee} is null`),
  ],
);

export type FollowUpTaskRow = typeof followUpTasks.$inferSelect;

/** Each event sent to an outside webhook (the CRM): delivered, or failed after every retry (the dead-letter record). */
export const webhookDeliveries = interactionSchema.table(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpoint: text('endpoint').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    status: text('status', { enum: ['DELIVERED', 'FAILED'] }).notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
    /** The event as it would have been sent, to replay a failed delivery. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('webhook_deliveries_event_key').on(t.endpoint, t.eventId), index('webhook_deliveries_failed_idx').on(t.status, t.at)],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export const outbox = defineOutbox(interactionSchema);

/** Customers erased here: nothing new is recorded for them. */
export const erasedCustomers = defineErasedCustomers(interactionSchema);

/** Append-only audit trail of this subgraph's mutations and sensitive reads. */
export const auditLog = defineAuditLog(interactionSchema);
