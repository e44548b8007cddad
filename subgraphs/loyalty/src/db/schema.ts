import { defineOutbox } from '@cmp/platform';
import { index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    memberSince: timestamp('member_since', { withTimezone: true }).notNull().defaultNow(),
    tierExpiresAt: timestamp('tier_expires_at', { withTimezone: true }),
    enrolledBy: text('enrolled_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('accounts_customer_id_key').on(t.customerId),
    uniqueIndex('accounts_member_number_key').on(t.memberNumber),
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

export type AccountRow = typeof accounts.$inferSelect;
export type TierChangeRow = typeof tierHistory.$inferSelect;

export const outbox = defineOutbox(loyaltySchema);
