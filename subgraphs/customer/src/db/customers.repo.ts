import { resultRows, type Executor } from '@cmp/platform';
import { inArray, sql } from 'drizzle-orm';
import { customers, type CustomerRow, type NewCustomerRow } from './schema.ts';

export async function nextCustomerSequence(db: Executor): Promise<number> {
  const result = await db.execute(sql`select nextval('customer.customer_number_seq')::text as n`);
  return Number(resultRows<{ n: string }>(result)[0]!.n);
}

export async function insertCustomer(db: Executor, values: NewCustomerRow): Promise<CustomerRow> {
  const [row] = await db.insert(customers).values(values).returning();
  return row!;
}

export async function findCustomersByIds(db: Executor, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(customers).where(inArray(customers.id, [...ids]));
}
