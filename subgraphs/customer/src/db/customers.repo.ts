import { nextSequenceValue, type Executor } from '@cmp/platform';
import { inArray } from 'drizzle-orm';
import { customers, type CustomerRow, type NewCustomerRow } from './schema.ts';

export function nextCustomerSequence(db: Executor): Promise<number> {
  return nextSequenceValue(db, 'customer.customer_number_seq');
}

export async function insertCustomer(db: Executor, values: NewCustomerRow): Promise<CustomerRow> {
  const [row] = await db.insert(customers).values(values).returning();
  return row!;
}

export async function findCustomersByIds(db: Executor, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(customers).where(inArray(customers.id, [...ids]));
}
