import type { Executor } from '@cmp/platform';
import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { contacts, customers, type ContactRow } from './schema.ts';

type NewContact = typeof contacts.$inferInsert;

const live = isNull(contacts.removedAt);

export async function findContactById(db: Executor, id: string): Promise<ContactRow | null> {
  const [row] = await db.select().from(contacts).where(eq(contacts.id, id));
  return row ?? null;
}

export function findContactsByIds(db: Executor, ids: readonly string[]): Promise<ContactRow[]> {
  return db.select().from(contacts).where(inArray(contacts.id, [...ids]));
}

/** Live contacts of many customers, the primary first, then oldest first; `tag` is lower-case. */
export function findLiveContactsOfCustomers(db: Executor, customerIds: readonly string[], tag: string | null): Promise<ContactRow[]> {
  return db
    .select()
    .from(contacts)
    .where(and(inArray(contacts.customerId, [...customerIds]), live, tag ? sql`${contacts.tags} @> array[${tag}]::text[]` : undefined))
    .orderBy(contacts.customerId, desc(contacts.isPrimary), asc(contacts.createdAt), asc(contacts.id));
}

export function findLiveContactsOfCustomer(db: Executor, customerId: string): Promise<ContactRow[]> {
  return findLiveContactsOfCustomers(db, [customerId], null);
}

export async function countLiveContacts(db: Executor, customerId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(contacts).where(and(eq(contacts.customerId, customerId), live));
  return Number(row?.n ?? 0);
}

export async function findLiveContactByEmail(db: Executor, customerId: string, email: string): Promise<ContactRow | null> {
  const [row] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.customerId, customerId), live, sql`lower(${contacts.email}) = lower(${email})`));
  return row ?? null;
}

export async function findPrimaryContact(db: Executor, customerId: string): Promise<ContactRow | null> {
  const [row] = await db.select().from(contacts).where(and(eq(contacts.customerId, customerId), live, eq(contacts.isPrimary, true)));
  return row ?? null;
}

export async function insertContact(db: Executor, values: NewContact): Promise<ContactRow> {
  const [row] = await db.insert(contacts).values(values).returning();
  return row!;
}

export async function updateContactRow(db: Executor, id: string, values: Partial<NewContact>): Promise<ContactRow> {
  const [row] = await db
    .update(contacts)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(contacts.id, id))
    .returning();
  return row!;
}

/** Clears the primary flag of the customer's live primary, if any; answers its id. */
export async function clearPrimary(db: Executor, customerId: string): Promise<string | null> {
  const rows = await db
    .update(contacts)
    .set({ isPrimary: false, updatedAt: new Date() })
    .where(and(eq(contacts.customerId, customerId), live, eq(contacts.isPrimary, true)))
    .returning({ id: contacts.id });
  return rows[0]?.id ?? null;
}

export async function softRemoveContacts(db: Executor, ids: readonly string[], actor: string): Promise<void> {
  if (ids.length === 0) return;
  const now = new Date();
  await db
    .update(contacts)
    .set({ removedAt: now, removedBy: actor, isPrimary: false, updatedAt: now })
    .where(inArray(contacts.id, [...ids]));
}

/** Moves contacts to another customer; `keepPrimary` false clears their primary flag on the way. */
export async function reassignContacts(db: Executor, ids: readonly string[], toCustomerId: string, keepPrimary: boolean): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(contacts)
    .set({
      customerId: toCustomerId,
      isPrimary: keepPrimary ? sql`${contacts.isPrimary}` : false,
      updatedAt: new Date(),
    })
    .where(inArray(contacts.id, [...ids]));
}

/** A customer's id by its number (CUS-000001), case-insensitively; null when there is none. */
export async function findCustomerIdByNumber(db: Executor, customerNumber: string): Promise<string | null> {
  const [row] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.customerNumber, customerNumber.trim().toUpperCase()));
  return row?.id ?? null;
}
