import { defineAuditLog, defineDataExportSections, defineKnownTiers, defineErasedCustomers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const invitationSchema = pgSchema('invitation');

export const INVITATION_STATUSES = ['ISSUED', 'USED', 'EXPIRED', 'REVOKED'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const SCAN_OUTCOMES = ['ADMITTED', 'ALREADY_USED', 'EXPIRED', 'NOT_YET_VALID', 'REVOKED', 'WRONG_LOUNGE', 'INVALID'] as const;
export type ScanOutcome = (typeof SCAN_OUTCOMES)[number];

export const CABINS = ['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST'] as const;
export type Cabin = (typeof CABINS)[number];

/**
 * Where the eligibility decision behind an invitation came from: loyalty's answer, the last tier loyalty confirmed
 * (loyalty unreachable), or the cabin alone (loyalty unreachable, no recent tier, a Business or First ticket).
 */
export const ELIGIBILITY_SOURCES = ['LOYALTY', 'LAST_KNOWN_TIER', 'CABIN'] as const;
export type EligibilitySource = (typeof ELIGIBILITY_SOURCES)[number];

export const lounges = invitationSchema.table('lounges', {
  code: text('code').primaryKey(),
  airport: text('airport').notNull(),
  terminal: text('terminal').notNull(),
  name: text('name').notNull(),
  capacity: integer('capacity').notNull(),
  openingHours: text('opening_hours').notNull(),
  /** IANA zone of the airport: "today" at the lounge is its local day. */
  timeZone: text('time_zone').notNull().default('Europe/Madrid'),
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
    cabin: text('cabin', { enum: CABINS }).notNull().default('ECONOMY'),
    eligibilitySource: text('eligibility_source', { enum: ELIGIBILITY_SOURCES }).notNull().default('LOYALTY'),
    eligibilityReason: text('eligibility_reason').notNull().default('TIER'),
    /** The loyalty tier the decision used; null for a non-member admitted on the cabin. */
    eligibilityTier: text('eligibility_tier'),
    /** When the loyalty data behind the decision was last confirmed. */
    eligibilityAsOf: timestamp('eligibility_as_of', { withTimezone: true }),
    /** The key that signed the QR first; it signs it again while it can, so a resent code is the same code. */
    qrKeyId: text('qr_key_id'),
    sentCount: integer('sent_count').notNull().default(1),
    lastSentAt: timestamp('last_sent_at', { withTimezone: true }).notNull().defaultNow(),
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
    // The expiry job's scan: only live invitations, oldest end first.
    index('invitations_expiry_idx').on(t.validUntil).where(sql`${t.status} = 'ISSUED'`),
    check('invitations_window_check', sql`${t.validUntil} > ${t.validFrom}`),
    check('invitations_guests_check', sql`${t.guests} >= 0`),
    // Entries admit the holder plus companions, never more.
    check('invitations_entries_check', sql`${t.entriesUsed} between 0 and ${t.guests} + 1`),
  ],
);

/** Door scanners, each registered to one lounge; a disabled device is refused before any code is read. */
export const loungeDevices = invitationSchema.table('lounge_devices', {
  /** The device token's subject. */
  id: text('id').primaryKey(),
  loungeCode: text('lounge_code')
    .notNull()
    .references(() => lounges.code),
  name: text('name').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  registeredBy: text('registered_by').notNull(),
  registeredAt: timestamp('registered_at', { withTimezone: true }).notNull().defaultNow(),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  disabledBy: text('disabled_by'),
  disabledReason: text('disabled_reason'),
});

/** Every scan of a validly signed code: what the door answered, where, when and by which device. */
export const scans = invitationSchema.table(
  'scans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    invitationId: uuid('invitation_id').notNull(),
    loungeCode: text('lounge_code').notNull(),
    deviceId: text('device_id').notNull(),
    outcome: text('outcome', { enum: SCAN_OUTCOMES }).notNull(),
    /** People let in by this scan (0 or 1). */
    admitted: integer('admitted').notNull().default(0),
    entriesRemaining: integer('entries_remaining'),
    idempotencyKey: text('idempotency_key'),
    scannedAt: timestamp('scanned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('scans_idempotency_key').on(t.deviceId, t.idempotencyKey),
    index('scans_lounge_idx').on(t.loungeCode, t.scannedAt),
    index('scans_invitation_idx').on(t.invitationId, t.scannedAt),
  ],
);

/** The last tier the loyalty subgraph confirmed per customer: the fallback when it cannot be asked. */
export const knownTiers = defineKnownTiers(invitationSchema);

export type LoungeRow = typeof lounges.$inferSelect;
export type LoungeDeviceRow = typeof loungeDevices.$inferSelect;
export type ScanRow = typeof scans.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

export const outbox = defineOutbox(invitationSchema);

/** Customers erased here: nothing new is recorded for them. */
export const erasedCustomers = defineErasedCustomers(invitationSchema);

/** Append-only audit trail of this subgraph's mutations and sensitive reads. */
export const auditLog = defineAuditLog(invitationSchema);

/** This subgraph's section of each GDPR data-subject export. */
export const dataExportSections = defineDataExportSections(invitationSchema);
