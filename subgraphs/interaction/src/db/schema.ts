import { defineOutbox } from '@cmp/platform';
import { index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('interactions_customer_idx').on(t.customerId, t.occurredAt)],
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

export const outbox = defineOutbox(interactionSchema);
