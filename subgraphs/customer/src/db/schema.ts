import { bytea, defineAuditLog, defineDataExportSections, defineKnownTiers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { foldedSql } from './search-folding.ts';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const customerSchema = pgSchema('customer');

const money = (name: string) => bigint(name, { mode: 'number' });
const at = (name: string) => timestamp(name, { withTimezone: true });

export const CUSTOMER_TYPES = ['INDIVIDUAL', 'SMALL_BUSINESS', 'ENTERPRISE', 'NON_PROFIT', 'GOVERNMENT'] as const;
export const CUSTOMER_STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'ARCHIVED'] as const;
export const SEGMENTS = ['STANDARD', 'PREMIUM', 'VIP', 'CORPORATE'] as const;
export const RATINGS = ['EXCELLENT', 'GOOD', 'FAIR', 'POOR', 'UNRATED'] as const;

export const customerNumberSeq = customerSchema.sequence('customer_number_seq', { startWith: 1 });

export const customers = customerSchema.table(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerNumber: text('customer_number').notNull(),
    type: text('type', { enum: CUSTOMER_TYPES }).notNull(),
    status: text('status', { enum: CUSTOMER_STATUSES }).notNull().default('ACTIVE'),
    segment: text('segment', { enum: SEGMENTS }).notNull().default('STANDARD'),
    /** Set when an authorised user fixed the segment by hand; automatic segmentation leaves it alone. */
    segmentOverridden: boolean('segment_overridden').notNull().default(false),
    rating: text('rating', { enum: RATINGS }).notNull().default('UNRATED'),
    ratingOverridden: boolean('rating_overridden').notNull().default(false),
    /** Paid purchases minus refunds, in the reporting currency's minor units (EUR cents). */
    lifetimeValueMinor: money('lifetime_value_minor').notNull().default(0),
    companyName: text('company_name'),
    industry: text('industry'),
    website: text('website'),
    title: text('title'),
    firstName: text('first_name'),
    middleName: text('middle_name'),
    lastName: text('last_name'),
    primaryEmail: text('primary_email').notNull(),
    primaryPhone: text('primary_phone'),
    /**
     * Sensitive fields are stored only sealed (AES-256-GCM, `v1.<kid>.<iv>.<data>`, bound to this row and column; see
     * domain/sensitive.ts): the billing and shipping address (street, city, state, postal code as one JSON value),
     * the date of birth and the passport number, plus the passport number's keyed hash for exact-match lookup. The
     * country of each address stays in clear, for postal-code validation and country aggregates.
     */
    billingAddressEnc: text('billing_address_enc'),
    billingCountry: text('billing_country'),
    shippingAddressEnc: text('shipping_address_enc'),
    shippingCountry: text('shipping_country'),
    dateOfBirthEnc: text('date_of_birth_enc'),
    passportNumberEnc: text('passport_number_enc'),
    /** HMAC-SHA256 under DATA_LOOKUP_KEY of the normalised number (upper case, no spaces or dashes). */
    passportNumberHash: text('passport_number_hash'),
    /**
     * Plaintext columns of releases before encryption at rest: sealed into the columns above and nulled by the
     * customer subgraph's start-up step (and `pnpm data-keys reencrypt`); never written any more.
     */
    legacyBillingStreet: text('billing_street'),
    legacyBillingCity: text('billing_city'),
    legacyBillingState: text('billing_state'),
    legacyBillingZipCode: text('billing_zip_code'),
    legacyShippingStreet: text('shipping_street'),
    legacyShippingCity: text('shipping_city'),
    legacyShippingState: text('shipping_state'),
    legacyShippingZipCode: text('shipping_zip_code'),
    legacyDateOfBirth: date('date_of_birth'),
    legacyPassportNumber: text('passport_number'),
    // Airline profile.
    gender: text('gender', { enum: ['FEMALE', 'MALE', 'NON_BINARY', 'UNDISCLOSED'] }),
    nationality: text('nationality'),
    passportExpiry: date('passport_expiry'),
    passportCountry: text('passport_country'),
    loyaltyNumber: text('loyalty_number'),
    preferredLanguage: text('preferred_language'),
    timeZone: text('time_zone'),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deactivatedAt: at('deactivated_at'),
    deactivatedBy: text('deactivated_by'),
    deactivationReason: text('deactivation_reason'),
    /** Set on a merged duplicate: reads of this id lead to the target. */
    mergedIntoId: uuid('merged_into_id'),
    /** Set by GDPR erasure (with deactivation): personal data pseudonymised, never reactivated or changed again. */
    erasedAt: at('erased_at'),
    /**
     * What search matches: name, e-mail and customer number, lower-cased and with accents folded (Fernández is kept
     * as fernandez), kept by the database so matching is a plain LIKE with no per-row work beyond comparing.
     */
    searchText: text('search_text')
      .notNull()
      .generatedAlwaysAs(
        foldedSql(
          sql`lower(coalesce(first_name, '') || ' ' || coalesce(middle_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company_name, '') || ' ' || primary_email || ' ' || customer_number)`,
        ),
      ),
    /**
     * The name sort key: family name then given name for people, the company name otherwise; folded like the search
     * text, so Álvarez sorts with the A's and a broad search finds the names beginning with its word in one range.
     */
    sortName: text('sort_name')
      .notNull()
      .generatedAlwaysAs(foldedSql(sql`lower(coalesce(company_name, coalesce(last_name, '') || ' ' || coalesce(first_name, '')))`)),
  },
  (t) => [
    uniqueIndex('customers_customer_number_key').on(t.customerNumber),
    // One live customer per e-mail address; deactivated records keep theirs for history.
    uniqueIndex('customers_primary_email_key').on(sql`lower(${t.primaryEmail})`).where(sql`${t.deactivatedAt} is null`),
    index('customers_created_at_idx').on(t.createdAt),
    index('customers_search_trgm_idx').using('gin', sql`${t.searchText} gin_trgm_ops`).where(sql`${t.deactivatedAt} is null`),
    // Search lists: the filter columns and the search text ride along, so a list in name order, filtered or matching
    // a broad query, is walked in the index alone (no table row read per candidate; see docs/PERFORMANCE.md).
    index('customers_sort_name_idx').on(t.sortName, t.id, t.type, t.segment, t.status, t.searchText).where(sql`${t.deactivatedAt} is null`),
    // Numeric customer-number order (CUS-999999 before CUS-1000000) for sorted lists, filters riding along.
    index('customers_number_order_idx')
      .on(sql`length(${t.customerNumber})`, t.customerNumber, t.id, t.type, t.segment, t.status)
      .where(sql`${t.deactivatedAt} is null`),
    // Filtered lists and filtered searches: the search text rides along, so counting "garc" among active VIPs reads
    // the index's range of them and no table row.
    index('customers_search_filters_idx').on(t.status, t.segment, t.type, t.sortName, t.id, t.searchText).where(sql`${t.deactivatedAt} is null`),
    index('customers_segment_idx').on(t.segment).where(sql`${t.deactivatedAt} is null`),
    index('customers_type_idx').on(t.type).where(sql`${t.deactivatedAt} is null`),
    index('customers_status_idx').on(t.status).where(sql`${t.deactivatedAt} is null`),
    index('customers_lifetime_value_idx').on(t.lifetimeValueMinor).where(sql`${t.deactivatedAt} is null`),
    index('customers_merged_into_idx').on(t.mergedIntoId).where(sql`${t.mergedIntoId} is not null`),
    index('customers_passport_number_hash_idx').on(t.passportNumberHash).where(sql`${t.passportNumberHash} is not null`),
  ],
);

export type CustomerRow = typeof customers.$inferSelect;
export type NewCustomerRow = typeof customers.$inferInsert;

/**
 * What changed on a customer and why: status, segment, rating, lifetime value, deactivation, merge. Append-only.
 * `source` is AUTOMATIC for the platform's own rules, MANUAL for an authorised user's override or action.
 */
export const customerHistory = customerSchema.table(
  'customer_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    attribute: text('attribute', {
      enum: ['STATUS', 'SEGMENT', 'RATING', 'LIFETIME_VALUE', 'DEACTIVATION', 'MERGE', 'PROFILE'],
    }).notNull(),
    fromValue: text('from_value'),
    toValue: text('to_value'),
    source: text('source', { enum: ['AUTOMATIC', 'MANUAL'] }).notNull(),
    reason: text('reason'),
    actor: text('actor').notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('customer_history_customer_idx').on(t.customerId, t.attribute, t.at)],
);
export type CustomerHistoryRow = typeof customerHistory.$inferSelect;

/** Communication and travel preferences: one row per customer, absent until first set. */
export const preferences = customerSchema.table('preferences', {
  customerId: uuid('customer_id').primaryKey(),
  channels: text('channels').array().notNull().default(sql`'{}'::text[]`),
  notifications: jsonb('notifications').$type<Record<string, boolean>>().notNull().default({}),
  seat: text('seat'),
  meal: text('meal'),
  drink: text('drink'),
  interests: text('interests').array().notNull().default(sql`'{}'::text[]`),
  updatedAt: at('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
});
export type PreferencesRow = typeof preferences.$inferSelect;

/** Every grant and withdrawal of consent, append-only; the latest entry per purpose is in force. */
export const consents = customerSchema.table(
  'consents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    purpose: text('purpose').notNull(),
    granted: boolean('granted').notNull(),
    source: text('source').notNull(),
    note: text('note'),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: at('recorded_at').notNull().defaultNow(),
  },
  (t) => [index('consents_customer_idx').on(t.customerId, t.purpose, t.recordedAt)],
);
export type ConsentRow = typeof consents.$inferSelect;

/** Apps and channels the customer uses (mobile app installs, web), for delivery and support. */
export const devices = customerSchema.table(
  'devices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    deviceId: text('device_id').notNull(),
    platform: text('platform', { enum: ['IOS', 'ANDROID', 'WEB'] }).notNull(),
    appVersion: text('app_version'),
    pushEnabled: boolean('push_enabled').notNull().default(false),
    lastSeenAt: at('last_seen_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('devices_customer_device_key').on(t.customerId, t.deviceId)],
);
export type DeviceRow = typeof devices.$inferSelect;

export const contacts = customerSchema.table(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    jobTitle: text('job_title'),
    isPrimary: boolean('is_primary').notNull().default(false),
    /** Lower-cased, `[a-z0-9_-]{1,50}`, no duplicates. */
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    removedAt: at('removed_at'),
    removedBy: text('removed_by'),
  },
  (t) => [
    uniqueIndex('contacts_customer_email_key').on(t.customerId, sql`lower(${t.email})`).where(sql`${t.removedAt} is null`),
    uniqueIndex('contacts_single_primary_key').on(t.customerId).where(sql`${t.isPrimary} and ${t.removedAt} is null`),
    index('contacts_customer_idx').on(t.customerId, t.createdAt),
    index('contacts_tags_idx').using('gin', t.tags),
  ],
);
export type ContactRow = typeof contacts.$inferSelect;

export const purchases = customerSchema.table(
  'purchases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    /** The selling system's order reference: recording the same order twice is one purchase. */
    orderReference: text('order_reference').notNull(),
    channel: text('channel', { enum: ['ANCILLARY', 'INFLIGHT', 'WEB'] }).notNull(),
    items: jsonb('items').$type<{ sku: string; description: string; quantity: number; unitAmountMinor: number }[]>().notNull(),
    amountMinor: money('amount_minor').notNull(),
    currency: text('currency').notNull(),
    /** The amount in the reporting currency (EUR), which lifetime value adds up. */
    reportingAmountMinor: money('reporting_amount_minor').notNull(),
    refundedMinor: money('refunded_minor').notNull().default(0),
    reportingRefundedMinor: money('reporting_refunded_minor').notNull().default(0),
    status: text('status', { enum: ['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] }).notNull().default('PAID'),
    flightNumber: text('flight_number'),
    purchasedAt: at('purchased_at').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: at('recorded_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('purchases_order_reference_key').on(t.orderReference),
    index('purchases_customer_idx').on(t.customerId, t.purchasedAt),
  ],
);
export type PurchaseRow = typeof purchases.$inferSelect;

/** Each refund of a purchase under the selling system's refund reference: a retried refund is found, not repeated. */
export const purchaseRefunds = customerSchema.table(
  'purchase_refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    purchaseId: uuid('purchase_id').notNull(),
    refundReference: text('refund_reference').notNull(),
    amountMinor: money('amount_minor').notNull(),
    reason: text('reason').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: at('recorded_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('purchase_refunds_reference_key').on(t.purchaseId, t.refundReference)],
);

export const trips = customerSchema.table(
  'trips',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    pnr: text('pnr').notNull(),
    ticketNumber: text('ticket_number').notNull(),
    flightNumber: text('flight_number').notNull(),
    origin: text('origin').notNull(),
    destination: text('destination').notNull(),
    scheduledDeparture: at('scheduled_departure').notNull(),
    scheduledArrival: at('scheduled_arrival').notNull(),
    actualDeparture: at('actual_departure'),
    actualArrival: at('actual_arrival'),
    cabin: text('cabin', { enum: ['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST'] }).notNull(),
    status: text('status', { enum: ['BOOKED', 'CHECKED_IN', 'FLOWN', 'CANCELLED', 'NO_SHOW'] }).notNull(),
    bagTags: text('bag_tags').array().notNull().default(sql`'{}'::text[]`),
    recordedAt: at('recorded_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('trips_ticket_flight_key').on(t.ticketNumber, t.flightNumber, t.scheduledDeparture),
    index('trips_customer_idx').on(t.customerId, t.scheduledDeparture),
  ],
);
export type TripRow = typeof trips.$inferSelect;

/**
 * What the rating rules count that other subgraphs know: complaints (case), lounge visits and meetings attended
 * (invitation, interaction), approved testimonials (interaction). Kept from their events, each event once.
 */
export const activity = customerSchema.table('activity', {
  customerId: uuid('customer_id').primaryKey(),
  complaints: integer('complaints').notNull().default(0),
  eventsAttended: integer('events_attended').notNull().default(0),
  testimonials: integer('testimonials').notNull().default(0),
  updatedAt: at('updated_at').notNull().defaultNow(),
});
export type ActivityRow = typeof activity.$inferSelect;

/** Event ids a consumer has applied, for consumers whose effect is not idempotent by itself (counters). */
export const appliedEvents = customerSchema.table(
  'applied_events',
  {
    consumer: text('consumer').notNull(),
    eventId: text('event_id').notNull(),
    appliedAt: at('applied_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/** A contacts import: the uploaded file, its mapping, progress and the per-row report. */
export const contactImports = customerSchema.table(
  'contact_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    format: text('format', { enum: ['CSV', 'XLSX', 'JSON'] }).notNull(),
    /** Target field by source column name. */
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull(),
    status: text('status', { enum: ['AWAITING_UPLOAD', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'] }).notNull(),
    uploadTokenHash: text('upload_token_hash'),
    uploadExpiresAt: at('upload_expires_at'),
    file: bytea('file'),
    fileBytes: integer('file_bytes'),
    totalRows: integer('total_rows'),
    processedRows: integer('processed_rows').notNull().default(0),
    importedRows: integer('imported_rows').notNull().default(0),
    failedRows: integer('failed_rows').notNull().default(0),
    errors: jsonb('errors').$type<{ row: number; field: string | null; message: string }[]>().notNull().default([]),
    failure: text('failure'),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
    /** Which replica works on it, and until when its claim holds (a crashed worker's job is taken over). */
    leaseUntil: at('lease_until'),
  },
  (t) => [index('contact_imports_status_idx').on(t.status, t.createdAt)],
);
export type ContactImportRow = typeof contactImports.$inferSelect;

/** A contacts export: its filters and fields, progress, the produced file and its expiring download token. */
export const contactExports = customerSchema.table(
  'contact_exports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    format: text('format', { enum: ['CSV', 'XLSX', 'JSON'] }).notNull(),
    customerIds: uuid('customer_ids').array().notNull().default(sql`'{}'::uuid[]`),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    fields: text('fields').array().notNull(),
    status: text('status', { enum: ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'] }).notNull(),
    totalRows: integer('total_rows'),
    processedRows: integer('processed_rows').notNull().default(0),
    file: bytea('file'),
    fileBytes: integer('file_bytes'),
    downloadTokenHash: text('download_token_hash'),
    expiresAt: at('expires_at'),
    failure: text('failure'),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
    leaseUntil: at('lease_until'),
  },
  (t) => [index('contact_exports_status_idx').on(t.status, t.createdAt)],
);
export type ContactExportRow = typeof contactExports.$inferSelect;

export const outbox = defineOutbox(customerSchema);

/** Append-only audit trail of this subgraph's mutations and sensitive reads. */
export const auditLog = defineAuditLog(customerSchema);

/** Each customer's loyalty tier, kept from loyalty's events: an input of the customer's segmentation. */
export const knownTiers = defineKnownTiers(customerSchema);

export const DATA_EXPORT_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;

/**
 * A GDPR data-subject export and its progress: the subgraphs whose section is ready (see the platform's
 * data-export fan-out). Deleted with the sections when it expires.
 */
export const dataSubjectExports = customerSchema.table(
  'data_subject_exports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    /** The customer and the duplicates merged into it when the export was asked for. */
    customerIds: uuid('customer_ids').array().notNull(),
    status: text('status', { enum: DATA_EXPORT_STATUSES }).notNull().default('PENDING'),
    readySections: text('ready_sections').array().notNull().default(sql`'{}'::text[]`),
    /** One line per subgraph that could not build its section. */
    failures: text('failures').array().notNull().default(sql`'{}'::text[]`),
    requestedBy: text('requested_by').notNull(),
    requestedAt: at('requested_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    completedAt: at('completed_at'),
    expiresAt: at('expires_at').notNull(),
  },
  (t) => [index('data_subject_exports_customer_idx').on(t.customerId, t.requestedAt), index('data_subject_exports_expiry_idx').on(t.expiresAt)],
);
export type DataSubjectExportRow = typeof dataSubjectExports.$inferSelect;

/** This subgraph's section of each data-subject export. */
export const dataExportSections = defineDataExportSections(customerSchema);

export const ERASURE_STATUSES = ['IN_PROGRESS', 'COMPLETED'] as const;

/** A GDPR erasure request: who asked, why and when, and when every subgraph had done its part. */
export const erasures = customerSchema.table(
  'erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    /** The customer and the duplicates merged into it: all erased together. */
    customerIds: uuid('customer_ids').array().notNull(),
    reason: text('reason').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: at('requested_at').notNull().defaultNow(),
    status: text('status', { enum: ERASURE_STATUSES }).notNull().default('IN_PROGRESS'),
    completedAt: at('completed_at'),
  },
  (t) => [uniqueIndex('erasures_customer_key').on(t.customerId)],
);
export type ErasureRow = typeof erasures.$inferSelect;

/** Each subgraph's part of an erasure report, from its CustomerErasureCompleted event (this subgraph's at once). */
export const erasureSections = customerSchema.table(
  'erasure_sections',
  {
    erasureId: uuid('erasure_id')
      .notNull()
      .references(() => erasures.id),
    subgraph: text('subgraph').notNull(),
    tables: jsonb('tables').$type<{ table: string; rowsAffected: number; fields: string[] }[]>().notNull(),
    retained: jsonb('retained').$type<{ table: string; count: number; what: string }[]>().notNull(),
    completedAt: at('completed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.erasureId, t.subgraph] })],
);
export type ErasureSectionRow = typeof erasureSections.$inferSelect;
