import { customerIn, ERASED_TEXT, resultRows, type ErasurePlan, type ErasureSectionData, type ErasureStep, type Executor } from '@cmp/platform';
import { and, asc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import {
  consents,
  contactExports,
  contacts,
  dataExportSections,
  customerHistory,
  customers,
  devices,
  erasures,
  erasureSections,
  outbox,
  preferences,
  purchaseRefunds,
  purchases,
  trips,
  type ErasureRow,
  type ErasureSectionRow,
} from './schema.ts';

const purchasesOf = (ids: string[]) => sql`(select ${purchases.id} from ${purchases} where ${customerIn(purchases.customerId, ids)})`;

/**
 * Columns of a customer record that hold no personal data: kept as they are. Every other column is set to null
 * (new profile columns are erased without a change here), except the e-mail (required and unique among live
 * customers: a per-record address that reaches nobody) and the deactivation reason (a fixed text).
 */
const KEPT_CUSTOMER_COLUMNS = new Set([
  'id', 'customer_number', 'type', 'status', 'segment', 'segment_overridden', 'rating', 'rating_overridden', 'lifetime_value_minor',
  'created_by', 'created_at', 'updated_at', 'deactivated_at', 'deactivated_by', 'merged_into_id', 'erased_at',
]);
const CUSTOMER_PLACEHOLDERS: Record<string, SQL> = {
  primary_email: sql`'erased-' || id || '@erased.invalid'`,
  deactivation_reason: sql`'GDPR erasure'`,
};

function profileStep(): ErasureStep {
  const columns = Object.values(getTableColumns(customers)).filter(
    (c) => !KEPT_CUSTOMER_COLUMNS.has(c.name) && !(c as { generated?: unknown }).generated,
  );
  return {
    table: customers,
    // The search text and name sort key are computed from these columns, so they follow.
    fields: [...columns.map((c) => c.name), 'search_text', 'sort_name'],
    where: (ids) => customerIn(customers.id, ids),
    set: sql.join(
      columns.map((c) => sql`${sql.identifier(c.name)} = ${CUSTOMER_PLACEHOLDERS[c.name] ?? (c.notNull ? sql`${ERASED_TEXT}` : sql`null`)}`),
      sql`, `,
    ),
  };
}

const uuidArray = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

/**
 * What GDPR erasure changes in this subgraph: the profile's names, e-mail, phone, addresses, birth date and
 * passport, the contacts, devices, travel preferences, consent notes, profile history values, refund reasons,
 * booking references and bag tags, and the files of contact exports that may hold the customer. The search text
 * and name sort key are computed from the profile, so they follow. Kept, anonymised: the customer record with its
 * number, type, segment, rating and lifetime value, purchases and refunds with their amounts, flights flown, the
 * consent ledger (proof of what was agreed) and status history.
 */
export const customerErasurePlan: ErasurePlan = {
  subgraph: 'customer',
  outbox,
  steps: [
    profileStep(),
    {
      table: contacts,
      fields: ['first_name', 'last_name', 'email', 'phone', 'job_title', 'tags'],
      where: (ids) => customerIn(contacts.customerId, ids),
      set: sql`first_name = ${ERASED_TEXT}, last_name = ${ERASED_TEXT}, email = 'erased-' || id || '@erased.invalid', phone = null,
        job_title = null, tags = '{}'::text[]`,
    },
    {
      table: devices,
      fields: ['device_id', 'app_version'],
      where: (ids) => customerIn(devices.customerId, ids),
      set: sql`device_id = 'erased-' || id, app_version = null`,
    },
    {
      table: preferences,
      fields: ['seat', 'meal', 'drink', 'interests'],
      where: (ids) => customerIn(preferences.customerId, ids),
      set: sql`seat = null, meal = null, drink = null, interests = '{}'::text[]`,
    },
    {
      table: consents,
      fields: ['note'],
      where: (ids) => customerIn(consents.customerId, ids),
      set: sql`note = null`,
    },
    {
      table: customerHistory,
      fields: ['from_value', 'to_value', 'reason'],
      where: (ids) => customerIn(customerHistory.customerId, ids),
      // Profile changes carried the personal values themselves; every entry's free-text reason goes.
      set: sql`from_value = case when attribute = 'PROFILE' then null else from_value end,
        to_value = case when attribute = 'PROFILE' then null else to_value end, reason = null`,
    },
    {
      table: purchaseRefunds,
      fields: ['reason'],
      where: (ids) => sql`${purchaseRefunds.purchaseId} in ${purchasesOf(ids)}`,
      set: sql`reason = ${ERASED_TEXT}`,
    },
    {
      table: trips,
      fields: ['pnr', 'ticket_number', 'bag_tags'],
      where: (ids) => customerIn(trips.customerId, ids),
      set: sql`pnr = ${ERASED_TEXT}, ticket_number = 'erased-' || id, bag_tags = '{}'::text[]`,
    },
    {
      table: contactExports,
      fields: ['file', 'download_token_hash'],
      // Exports naming the customer, and those by tag or of everyone, which may include it.
      where: (ids) =>
        sql`${contactExports.file} is not null and (cardinality(${contactExports.customerIds}) = 0 or ${contactExports.customerIds} && ${uuidArray(ids)})`,
      set: sql`file = null, download_token_hash = null`,
    },
    {
      // A data-subject export's copy of the records must not outlive them (the export consumer also deletes it).
      table: dataExportSections,
      fields: ['section'],
      where: (ids) => customerIn(dataExportSections.customerId, ids),
      set: sql`section = '{}'::jsonb`,
    },
  ],
  retained: [
    { table: customers, what: 'the customer record with its number, type, segment, rating and lifetime value', where: (ids) => customerIn(customers.id, ids) },
    { table: purchases, what: 'purchases with their amounts, refunds and channel', where: (ids) => customerIn(purchases.customerId, ids) },
    { table: purchaseRefunds, what: 'refunds with their amounts', where: (ids) => sql`${purchaseRefunds.purchaseId} in ${purchasesOf(ids)}` },
    { table: trips, what: 'flights with their route, dates, cabin and status', where: (ids) => customerIn(trips.customerId, ids) },
    { table: consents, what: 'the consent ledger (what was granted or withdrawn, when)', where: (ids) => customerIn(consents.customerId, ids) },
  ],
};

/** The customer and every duplicate merged into it (through chains of merges). */
export async function customerAndMergedIds(db: Executor, customerId: string): Promise<string[]> {
  const rows = resultRows<{ id: string }>(
    await db.execute(sql`
      with recursive merged(id) as (
        select ${customerId}::uuid
        union
        select c.id from ${customers} c join merged m on c.merged_into_id = m.id
      )
      select id::text as id from merged`),
  );
  return [customerId, ...rows.map((r) => r.id).filter((id) => id !== customerId)];
}

export async function findErasure(db: Executor, id: string): Promise<ErasureRow | null> {
  const [row] = await db.select().from(erasures).where(eq(erasures.id, id));
  return row ?? null;
}

export async function findErasureOfCustomer(db: Executor, customerId: string): Promise<ErasureRow | null> {
  const [row] = await db.select().from(erasures).where(eq(erasures.customerId, customerId));
  return row ?? null;
}

export async function findErasuresByIds(db: Executor, ids: readonly string[]): Promise<ErasureRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(erasures).where(inArray(erasures.id, [...ids]));
}

export async function insertErasure(db: Executor, values: typeof erasures.$inferInsert): Promise<ErasureRow> {
  const [row] = await db.insert(erasures).values(values).returning();
  return row!;
}

/** Locks the erasure row: sections completing it at once are counted one after another. */
export async function lockErasure(db: Executor, id: string): Promise<ErasureRow | null> {
  const [row] = await db.select().from(erasures).where(eq(erasures.id, id)).for('update');
  return row ?? null;
}

/** Records a subgraph's section once; a redelivered completion keeps the first. True when it was new. */
export async function insertErasureSection(db: Executor, erasureId: string, section: ErasureSectionData, completedAt: Date): Promise<boolean> {
  const inserted = await db
    .insert(erasureSections)
    .values({ erasureId, subgraph: section.subgraph, tables: section.tables, retained: section.retained, completedAt })
    .onConflictDoNothing()
    .returning({ subgraph: erasureSections.subgraph });
  return inserted.length > 0;
}

export async function findErasureSections(db: Executor, erasureIds: readonly string[]): Promise<ErasureSectionRow[]> {
  if (erasureIds.length === 0) return [];
  return db.select().from(erasureSections).where(inArray(erasureSections.erasureId, [...erasureIds])).orderBy(asc(erasureSections.completedAt));
}

export async function completeErasure(db: Executor, id: string, completedAt: Date): Promise<void> {
  await db.update(erasures).set({ status: 'COMPLETED', completedAt }).where(and(eq(erasures.id, id), eq(erasures.status, 'IN_PROGRESS')));
}
