import { sql } from 'drizzle-orm';
import { text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import type { EventConsumer } from '../events/consumer.ts';
import type { Executor } from './database.ts';

/**
 * A subgraph's copy of each member's loyalty tier, kept from loyalty's own events (and from its answers where a
 * subgraph asks it): for decisions that must not wait on loyalty, such as lounge eligibility when loyalty is down
 * or routing a case by the customer's tier.
 */
export function defineKnownTiers(schema: PgSchema) {
  return schema.table('known_tiers', {
    customerId: uuid('customer_id').primaryKey(),
    tier: text('tier'),
    asOf: timestamp('as_of', { withTimezone: true }).notNull(),
  });
}

export type KnownTiersTable = ReturnType<typeof defineKnownTiers>;

/** Records a tier as of a time; a late, older fact never overwrites a newer one. */
export async function rememberTier(db: Executor, table: KnownTiersTable, customerId: string, tier: string | null, asOf: Date): Promise<void> {
  await db
    .insert(table)
    .values({ customerId, tier, asOf })
    .onConflictDoUpdate({
      target: table.customerId,
      set: { tier: sql`excluded.tier`, asOf: sql`excluded.as_of` },
      setWhere: sql`${table.asOf} <= excluded.as_of`,
    });
}

/** The consumer that keeps `table` current from loyalty's enrolments, tier changes and account merges; idempotent. */
export function knownTierConsumer(name: string, table: KnownTiersTable): EventConsumer {
  return {
    name,
    types: ['cmp.loyalty.LoyaltyMemberEnrolled', 'cmp.loyalty.LoyaltyTierChanged', 'cmp.loyalty.LoyaltyAccountMerged'],
    async handle(db, event) {
      const data = event.data as { tier?: string; toTier?: string };
      const tier = data.toTier ?? data.tier;
      if (!event.customerid || !tier) return;
      await rememberTier(db, table, event.customerid, tier, new Date(event.time));
    },
  };
}
