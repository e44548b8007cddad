import { nextSequenceValue, type Executor } from '@cmp/platform';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { customers, type CustomerRow, type NewCustomerRow } from './schema.ts';

export function nextCustomerSequence(db: Executor): Promise<number> {
  return nextSequenceValue(db, 'customer.customer_number_seq');
}

export async function insertCustomer(db: Executor, values: NewCustomerRow): Promise<CustomerRow> {
  const [row] = await db.insert(customers).values(values).returning();
  return row!;
}

export async function updateCustomerRow(db: Executor, id: string, values: Partial<NewCustomerRow>): Promise<CustomerRow> {
  const [row] = await db.update(customers).set(values).where(eq(customers.id, id)).returning();
  return row!;
}

export async function findCustomersByIds(db: Executor, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(customers).where(inArray(customers.id, [...ids]));
}

/** Live customers holding the passport number with one of these lookup hashes (one per lookup key still kept). */
export async function findLiveCustomersByPassportHash(db: Executor, hashes: readonly string[]): Promise<CustomerRow[]> {
  return db
    .select()
    .from(customers)
    .where(and(inArray(customers.passportNumberHash, [...hashes]), isNull(customers.deactivatedAt)))
    .orderBy(customers.customerNumber);
}

export async function findCustomerByNumber(db: Executor, customerNumber: string): Promise<CustomerRow | null> {
  const [row] = await db.select().from(customers).where(eq(customers.customerNumber, customerNumber));
  return row ?? null;
}

/** Locks customers' rows in id order, so two merges of the same pair in opposite directions cannot deadlock. */
export async function lockCustomers(db: Executor, ids: string[]): Promise<CustomerRow[]> {
  return db
    .select()
    .from(customers)
    .where(inArray(customers.id, ids))
    .orderBy(customers.id)
    .for('update');
}

/** Customers earlier merged into `from` now point at `to`: a chain of merges always leads to a live record. */
export async function repointMergedInto(db: Executor, from: string, to: string): Promise<void> {
  await db.update(customers).set({ mergedIntoId: to }).where(eq(customers.mergedIntoId, from));
}
