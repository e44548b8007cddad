import { defineAuditLog, defineDataExportSections, defineErasedCustomers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { LEDGER_KINDS, LEDGER_SOURCES } from '../domain/ledger-rules.ts';
import { LOYALTY_TIERS } from '../domain/tiers.ts';

export const loyaltySchema = pgSchema('loyalty');

export const memberNumberSeq = loyaltySchema.sequence('member_number_seq', { startWith: 1 });

export const accounts = loyaltySchema.table(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    memberNumber: text('member_number').notNull(),
    programme: text('programme').notNull().default('CLUB_IBERIA_PLUS'),
    tier: text('tier', { enum: LOYALTY_TIERS }).notNull(),
    aviosBalance: integer('avios_balance').notNull().default(0),
    elitePoints: integer('elite_points').notNull().default(0),
    qualifyingFlights: integer('qualifying_flights').notNull().default(0),
    lifetimeElitePoints: integer('lifetime_elite_points').notNull().default(0),
    memberSince: timestamp('member_since', { withTimezone: true }).notNull().defaultNow(),
    tierExpiresAt: timestamp('tier_expires_at', { withTimezone: true }),
    /** When the external loyalty system last confirmed this account; null when it has never been asked. */
    syncedAt: timestamp('synced_at', { withTimezone: true }),
    enrolledBy: text('enrolled_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('accounts_customer_id_key').on(t.customerId),
    uniqueIndex('accounts_member_number_key').on(t.memberNumber),
    // The last line of defence: no code path may leave a negative balance.
    check('accounts_avios_balance_check', sql`${t.aviosBalance} >= 0`),
    check('accounts_elite_points_check', sql`${t.elitePoints} >= 0`),
  ],
);

export const tierHistory = loyaltySchema.table(
  'tier_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    fromTier: text('from_tier', { enum: LOYALTY_TIERS }),
    toTier: text('to_tier', { enum: LOYALTY_TIERS }).notNull(),
    reason: text('reason').notNull(),
    changedBy: text('changed_by').notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('tier_history_account_idx').on(t.accountId, t.changedAt)],
);

/** Every movement of Avios and Elite Points; the account's balances are the sum of its entries. */
export const ledgerEntries = loyaltySchema.table(
  'ledger_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
    source: text('source', { enum: LEDGER_SOURCES }).notNull(),
    avios: integer('avios').notNull(),
    elitePoints: integer('elite_points').notNull().default(0),
    flights: integer('flights').notNull().default(0),
    /** The caller's transaction id: posting it again returns the first posting instead of counting twice. */
    externalId: text('external_id').notNull(),
    description: text('description').notNull(),
    aviosBalanceAfter: integer('avios_balance_after').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedBy: text('recorded_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_entries_external_key').on(t.accountId, t.externalId),
    index('ledger_entries_account_idx').on(t.accountId, t.createdAt.desc(), t.id.desc()),
  ],
);

export type AccountRow = typeof accounts.$inferSelect;
export type TierChangeRow = typeof tierHistory.$inferSelect;
export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;

export const outbox = defineOutbox(loyaltySchema);

/** Customers erased here: nothing new is recorded for them. */
export const erasedCustomers = defineErasedCustomers(loyaltySchema);

/** Append-only audit trail of this subgraph's mutations and sensitive reads. */
export const auditLog = defineAuditLog(loyaltySchema);

/** This subgraph's section of each GDPR data-subject export. */
export const dataExportSections = defineDataExportSections(loyaltySchema);
