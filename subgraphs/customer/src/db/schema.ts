import { defineKnownTiers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const customerSchema = pgSchema('customer');

export const customerNumberSeq = customerSchema.sequence('customer_number_seq', { startWith: 1 });

export const customers = customerSchema.table(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerNumber: text('customer_number').notNull(),
    type: text('type', { enum: ['INDIVIDUAL', 'SMALL_BUSINESS', 'ENTERPRISE', 'NON_PROFIT', 'GOVERNMENT'] }).notNull(),
    status: text('status', { enum: ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'ARCHIVED'] }).notNull().default('ACTIVE'),
    segment: text('segment', { enum: ['STANDARD', 'PREMIUM', 'VIP', 'CORPORATE'] }).notNull().default('STANDARD'),
    companyName: text('company_name'),
    title: text('title'),
    firstName: text('first_name'),
    middleName: text('middle_name'),
    lastName: text('last_name'),
    primaryEmail: text('primary_email').notNull(),
    primaryPhone: text('primary_phone'),
    billingStreet: text('billing_street'),
    billingCity: text('billing_city'),
    billingState: text('billing_state'),
    billingZipCode: text('billing_zip_code'),
    billingCountry: text('billing_country'),
    preferredLanguage: text('preferred_language'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
    deactivatedBy: text('deactivated_by'),
    deactivationReason: text('deactivation_reason'),
  },
  (t) => [
    uniqueIndex('customers_customer_number_key').on(t.customerNumber),
    // One live customer per e-mail address; deactivated records keep theirs for history.
    uniqueIndex('customers_primary_email_key').on(sql`lower(${t.primaryEmail})`).where(sql`${t.deactivatedAt} is null`),
    index('customers_created_at_idx').on(t.createdAt),
  ],
);

export type CustomerRow = typeof customers.$inferSelect;
export type NewCustomerRow = typeof customers.$inferInsert;

export const outbox = defineOutbox(customerSchema);

/** Each customer's loyalty tier, kept from loyalty's events: an input of the customer's segmentation. */
export const knownTiers = defineKnownTiers(customerSchema);
