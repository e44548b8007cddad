import { defineDataExportSections } from '@cmp/platform';
import { boolean, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { interactionSchema } from './schema.ts';

/**
 * The customer subgraph's consent ledger as far as sending needs it: the latest grant or withdrawal per customer
 * and purpose, kept from ConsentGranted/ConsentWithdrawn. A late, older event never overwrites a newer one.
 */
export const marketingConsents = interactionSchema.table(
  'marketing_consents',
  {
    customerId: uuid('customer_id').notNull(),
    /** The ledger's purpose, e.g. MARKETING_EMAIL, MARKETING_SMS. */
    purpose: text('purpose').notNull(),
    granted: boolean('granted').notNull(),
    /** When the ledger entry was recorded (the event's time): the latest wins. */
    asOf: timestamp('as_of', { withTimezone: true }).notNull(),
    consentId: uuid('consent_id'),
    eventId: uuid('event_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.purpose] })],
);
export type MarketingConsentRow = typeof marketingConsents.$inferSelect;

/** This subgraph's section of each data-subject export. */
export const dataExportSections = defineDataExportSections(interactionSchema);
