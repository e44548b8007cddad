import { resultRows, type Executor } from '@cmp/platform';
import { and, desc, eq, getTableColumns, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import {
  activity,
  appliedEvents,
  customers,
  purchaseRefunds,
  purchases,
  trips,
  type ActivityRow,
  type CustomerRow,
  type PurchaseRow,
  type TripRow,
} from './schema.ts';

export type NewPurchaseRow = typeof purchases.$inferInsert;
export type NewTripRow = typeof trips.$inferInsert;
/** A keyset page of a per-customer list ordered by (time desc, id desc): `limit + 1` rows tell whether more follow. */
export interface ListPage {
  limit: number;
  after: { at: Date; id: string } | null;
}

// ---- purchases ----

/** Inserts the purchase unless its order reference is already taken; null then (the caller reads the first). */
export async function insertPurchaseOnce(db: Executor, values: NewPurchaseRow): Promise<PurchaseRow | null> {
  const [row] = await db.insert(purchases).values(values).onConflictDoNothing({ target: purchases.orderReference }).returning();
  return row ?? null;
}

export async function findPurchaseByOrderReference(db: Executor, orderReference: string): Promise<PurchaseRow | null> {
  const [row] = await db.select().from(purchases).where(eq(purchases.orderReference, orderReference));
  return row ?? null;
}

export async function findPurchase(db: Executor, id: string, { forUpdate = false } = {}): Promise<PurchaseRow | null> {
  const query = db.select().from(purchases).where(eq(purchases.id, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function findPurchasesByIds(db: Executor, ids: readonly string[]): Promise<PurchaseRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(purchases).where(inArray(purchases.id, [...ids]));
}

export async function updatePurchaseRefund(
  db: Executor,
  id: string,
  values: Pick<PurchaseRow, 'refundedMinor' | 'reportingRefundedMinor' | 'status'>,
): Promise<PurchaseRow> {
  const [row] = await db
    .update(purchases)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(purchases.id, id))
    .returning();
  return row!;
}

/**
 * Each customer's newest `limit + 1` rows of a table from a keyset position, in one query for all of them
 * (row_number per customer), newest first.
 */
async function pageEach<T extends typeof purchases | typeof trips>(
  db: Executor,
  table: T,
  time: PgColumn,
  customerIds: readonly string[],
  page: ListPage,
): Promise<Record<string, unknown>[]> {
  if (customerIds.length === 0) return [];
  const t = table as typeof purchases;
  const ranked = db
    .select({
      ...getTableColumns(t),
      rank: sql<number>`row_number() over (partition by ${t.customerId} order by ${time} desc, ${t.id} desc)`.as('rank'),
    })
    .from(t)
    .where(
      and(
        inArray(t.customerId, [...customerIds]),
        page.after ? sql`(${time}, ${t.id}) < (${page.after.at.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .as('ranked');
  return db.select().from(ranked).where(lte(ranked.rank, page.limit + 1));
}

const toDate = (value: unknown) => (value instanceof Date ? value : new Date(String(value)));
const toDateOrNull = (value: unknown) => (value == null ? null : toDate(value));

/** Customers' purchases, newest `purchased_at` first, `limit + 1` of each. */
export async function findPurchasePages(db: Executor, customerIds: readonly string[], page: ListPage): Promise<PurchaseRow[]> {
  const rows = await pageEach(db, purchases, purchases.purchasedAt, customerIds, page);
  return rows
    .map(({ rank: _rank, ...r }) => {
      const row = r as unknown as PurchaseRow;
      // Columns read through a subquery come back as the driver gives them: dates as text, bigints as text.
      return {
        ...row,
        amountMinor: Number(row.amountMinor),
        reportingAmountMinor: Number(row.reportingAmountMinor),
        refundedMinor: Number(row.refundedMinor),
        reportingRefundedMinor: Number(row.reportingRefundedMinor),
        items: typeof row.items === 'string' ? JSON.parse(row.items) : row.items,
        purchasedAt: toDate(row.purchasedAt),
        recordedAt: toDate(row.recordedAt),
        updatedAt: toDate(row.updatedAt),
      };
    })
    .sort(newestFirst((p) => p.purchasedAt));
}

/** Customers' trips, latest scheduled departure first, `limit + 1` of each. */
export async function findTripPages(db: Executor, customerIds: readonly string[], page: ListPage): Promise<TripRow[]> {
  const rows = await pageEach(db, trips, trips.scheduledDeparture, customerIds, page);
  return rows
    .map(({ rank: _rank, ...r }) => {
      const row = r as unknown as TripRow;
      return {
        ...row,
        bagTags: Array.isArray(row.bagTags) ? row.bagTags : parseTextArray(row.bagTags as unknown as string),
        scheduledDeparture: toDate(row.scheduledDeparture),
        scheduledArrival: toDate(row.scheduledArrival),
        actualDeparture: toDateOrNull(row.actualDeparture),
        actualArrival: toDateOrNull(row.actualArrival),
        recordedAt: toDate(row.recordedAt),
        updatedAt: toDate(row.updatedAt),
      };
    })
    .sort(newestFirst((t) => t.scheduledDeparture));
}

/** A Postgres text[] literal of digits-only values (bag tags), as a driver may hand it over through a subquery. */
function parseTextArray(literal: string | null): string[] {
  if (!literal || literal === '{}') return [];
  return literal.replace(/^\{|\}$/g, '').split(',').map((v) => v.replace(/^"|"$/g, ''));
}

function newestFirst<T extends { id: string }>(time: (row: T) => Date) {
  return (a: T, b: T) => time(b).getTime() - time(a).getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

// ---- trips ----

/**
 * Inserts the trip, or updates the one with the same ticket, flight and scheduled departure when it is this
 * customer's. Null when that flight segment belongs to another customer.
 */
export async function upsertTrip(db: Executor, values: NewTripRow): Promise<{ trip: TripRow; created: boolean } | null> {
  const now = new Date();
  const [row] = await db
    .insert(trips)
    .values({ ...values, recordedAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [trips.ticketNumber, trips.flightNumber, trips.scheduledDeparture],
      set: {
        pnr: sql`excluded.pnr`,
        origin: sql`excluded.origin`,
        destination: sql`excluded.destination`,
        scheduledArrival: sql`excluded.scheduled_arrival`,
        actualDeparture: sql`excluded.actual_departure`,
        actualArrival: sql`excluded.actual_arrival`,
        cabin: sql`excluded.cabin`,
        status: sql`excluded.status`,
        bagTags: sql`excluded.bag_tags`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`${trips.customerId} = excluded.customer_id`,
    })
    .returning({ ...getTableColumns(trips), created: sql<boolean>`(xmax = 0)` });
  if (!row) return null;
  const { created, ...trip } = row;
  return { trip, created: created === true || (created as unknown) === 't' };
}

// ---- customer value ----

/** What the value rules read about a customer, in one statement: its row, purchase totals and activity. */
export interface ValueInputs {
  customer: CustomerRow;
  /** Sum over purchases of reporting amount minus reporting refunds (EUR cents). */
  lifetimeValueMinor: number;
  /** Purchases not refunded in full. */
  paidPurchases: number;
  /** Every purchase recorded, refunded or not. */
  purchases: number;
  reportingAmountMinor: number;
  reportingRefundedMinor: number;
  complaints: number;
  eventsAttended: number;
  testimonials: number;
}

export async function readValueInputs(db: Executor, customerId: string): Promise<ValueInputs | null> {
  const [customer] = await db.select().from(customers).where(eq(customers.id, customerId));
  if (!customer) return null;
  const [totals] = resultRows<{
    value: string;
    paid: string;
    total: string;
    amount: string;
    refunded: string;
    complaints: number | null;
    events_attended: number | null;
    testimonials: number | null;
  }>(
    await db.execute(sql`
      select coalesce(sum(p.reporting_amount_minor - p.reporting_refunded_minor), 0)::text as value,
             count(*) filter (where p.status <> 'REFUNDED')::text as paid,
             count(p.id)::text as total,
             coalesce(sum(p.reporting_amount_minor), 0)::text as amount,
             coalesce(sum(p.reporting_refunded_minor), 0)::text as refunded,
             (select a.complaints from ${activity} a where a.customer_id = ${customerId}) as complaints,
             (select a.events_attended from ${activity} a where a.customer_id = ${customerId}) as events_attended,
             (select a.testimonials from ${activity} a where a.customer_id = ${customerId}) as testimonials
        from ${purchases} p
       where p.customer_id = ${customerId}`),
  );
  return {
    customer,
    lifetimeValueMinor: Number(totals!.value),
    paidPurchases: Number(totals!.paid),
    purchases: Number(totals!.total),
    reportingAmountMinor: Number(totals!.amount),
    reportingRefundedMinor: Number(totals!.refunded),
    complaints: Number(totals!.complaints ?? 0),
    eventsAttended: Number(totals!.events_attended ?? 0),
    testimonials: Number(totals!.testimonials ?? 0),
  };
}

export async function updateCustomerValue(
  db: Executor,
  customerId: string,
  values: Partial<Pick<CustomerRow, 'lifetimeValueMinor' | 'segment' | 'segmentOverridden' | 'rating' | 'ratingOverridden'>>,
): Promise<CustomerRow> {
  const [row] = await db
    .update(customers)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(customers.id, customerId))
    .returning();
  return row!;
}


// ---- activity ----

/**
 * Locks the row of the customer an event about `customerId` now belongs to: the customer itself when live, the
 * customer it was merged into when it was merged (merges point every duplicate at the final target). Null when
 * unknown or deactivated without a merge; nothing is locked then.
 */
export async function lockCustomerForEvent(db: Executor, customerId: string): Promise<{ id: string } | null> {
  // A merge committing between the read and the lock makes the lock find nothing: read again and follow it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [row] = await db
      .select({ id: customers.id, deactivatedAt: customers.deactivatedAt, mergedIntoId: customers.mergedIntoId })
      .from(customers)
      .where(eq(customers.id, customerId));
    const id = row?.deactivatedAt ? row.mergedIntoId : row?.id;
    if (!id) return null;
    const [live] = await db
      .select({ id: customers.id })
      .from(customers)
      .where(and(eq(customers.id, id), isNull(customers.deactivatedAt)))
      .for('update');
    if (live) return live;
  }
  return null;
}

/** Records that `consumer` applied `eventId`; false when it already had (the effect must not be applied again). */
export async function markApplied(db: Executor, consumer: string, eventId: string): Promise<boolean> {
  const rows = await db.insert(appliedEvents).values({ consumer, eventId }).onConflictDoNothing().returning({ eventId: appliedEvents.eventId });
  return rows.length > 0;
}

export type ActivityCounter = 'complaints' | 'eventsAttended' | 'testimonials';

export async function incrementActivity(db: Executor, customerId: string, counter: ActivityCounter): Promise<ActivityRow> {
  const column: Record<ActivityCounter, SQL> = {
    complaints: sql`${activity.complaints} + 1`,
    eventsAttended: sql`${activity.eventsAttended} + 1`,
    testimonials: sql`${activity.testimonials} + 1`,
  };
  const [row] = await db
    .insert(activity)
    .values({ customerId, [counter]: 1 })
    .onConflictDoUpdate({ target: activity.customerId, set: { [counter]: column[counter], updatedAt: new Date() } })
    .returning();
  return row!;
}

export async function findRefund(db: Executor, purchaseId: string, refundReference: string) {
  const [row] = await db
    .select()
    .from(purchaseRefunds)
    .where(and(eq(purchaseRefunds.purchaseId, purchaseId), eq(purchaseRefunds.refundReference, refundReference)));
  return row ?? null;
}

export async function insertRefund(db: Executor, values: typeof purchaseRefunds.$inferInsert): Promise<void> {
  await db.insert(purchaseRefunds).values(values);
}
