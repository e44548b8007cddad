import { defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const invitationSchema = pgSchema('invitation');

export const INVITATION_STATUSES = ['ISSUED', 'USED', 'EXPIRED', 'REVOKED'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const lounges = invitationSchema.table('lounges', {
  code: text('code').primaryKey(),
  airport: text('airport').notNull(),
  terminal: text('terminal').notNull(),
  name: text('name').notNull(),
  capacity: integer('capacity').notNull(),
  openingHours: text('opening_hours').notNull(),
  active: boolean('active').notNull().default(true),
});

export const invitations = invitationSchema.table(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    loungeCode: text('lounge_code')
      .notNull()
      .references(() => lounges.code),
    status: text('status', { enum: INVITATION_STATUSES }).notNull().default('ISSUED'),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    guests: integer('guests').notNull(),
    entriesUsed: integer('entries_used').notNull().default(0),
    flightNumber: text('flight_number').notNull(),
    issuedBy: text('issued_by').notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: text('revoked_by'),
    revocationReason: text('revocation_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('invitations_customer_idx').on(t.customerId, t.createdAt),
    index('invitations_lounge_idx').on(t.loungeCode, t.validFrom),
    check('invitations_window_check', sql`${t.validUntil} > ${t.validFrom}`),
    check('invitations_guests_check', sql`${t.guests} >= 0`),
    // Entries admit the holder plus companions, never more.
    check('invitations_entries_check', sql`${t.entriesUsed} between 0 and ${t.guests} + 1`),
  ],
);

export type LoungeRow = typeof lounges.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

export const outbox = defineOutbox(invitationSchema);
