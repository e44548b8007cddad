import { sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { EventConsumer } from './consumer.ts';
import type { CloudEvent } from './envelope.ts';

/** Published by the customer subgraph when a duplicate record (source) is merged into another (target). */
export const CUSTOMER_MERGED = 'cmp.customer.CustomerMerged';

export interface CustomerMergedData {
  sourceCustomerId: string;
  targetCustomerId: string;
}

/** The merge an event describes, or null when it is not a usable CustomerMerged event. */
export function mergeOf(event: CloudEvent): CustomerMergedData | null {
  const { sourceCustomerId, targetCustomerId } = event.data as Partial<CustomerMergedData>;
  if (typeof sourceCustomerId !== 'string' || typeof targetCustomerId !== 'string' || sourceCustomerId === targetCustomerId) return null;
  return { sourceCustomerId, targetCustomerId };
}

/**
 * The consumer that moves a subgraph's records of a merged customer to the target: every listed table's customer
 * column is repointed, all in one transaction. Idempotent by nature: a redelivered event finds nothing left under
 * the source.
 */
export function customerMergedConsumer(name: string, tables: readonly { table: PgTable; customerId: PgColumn }[]): EventConsumer {
  return {
    name,
    types: [CUSTOMER_MERGED],
    async handle(db, event) {
      const merge = mergeOf(event);
      if (!merge) return;
      await db.transaction(async (tx) => {
        for (const { table, customerId } of tables) {
          await tx.execute(
            sql`update ${table} set ${sql.identifier(customerId.name)} = ${merge.targetCustomerId}::uuid where ${customerId} = ${merge.sourceCustomerId}::uuid`,
          );
        }
      });
    },
  };
}
