import {
  DATA_EXPORT_RETENTION_MS,
  DATA_EXPORT_SUBGRAPHS,
  DATA_EXPORT_REQUESTED,
  DATA_EXPORT_EXPIRED,
  NotFoundError,
  byAnyCustomer,
  byCustomer,
  byParent,
  dataExportConsumer,
  dataExportSectionFailed,
  dataExportSectionReady,
  nudgeOutbox,
  recordEvent,
  startIntervalJob,
  requireDataExportAccess,
  requireUuid,
  type Caller,
  type Database,
  type EventConsumer,
  type EventContext,
  type ExportSource,
  type Logger,
  type RunningJob,
} from '@cmp/platform';
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import {
  activity,
  auditLog,
  consents,
  contacts,
  customerHistory,
  customers,
  dataExportSections,
  dataSubjectExports,
  devices,
  knownTiers,
  outbox,
  preferences,
  purchaseRefunds,
  purchases,
  trips,
  type CustomerRow,
  type DataSubjectExportRow,
} from '../db/schema.ts';
import { dataKeysFor } from '../data-keys.ts';
import { openCustomer } from './sensitive.ts';

/** Sealed columns, their lookup hash and the emptied pre-encryption columns: the values go out in clear instead. */
const NOT_EXPORTED = new Set(['billingAddressEnc', 'shippingAddressEnc', 'dateOfBirthEnc', 'passportNumberEnc', 'passportNumberHash']);

/** The export is for the data subject: the sensitive fields in clear (address parts, date of birth, passport). */
async function customerInClear(row: Record<string, unknown>, db: Database): Promise<Record<string, unknown>> {
  const open = openCustomer(await dataKeysFor(db), row as CustomerRow);
  return Object.fromEntries(Object.entries(open).filter(([key, value]) => !NOT_EXPORTED.has(key) && !(key.startsWith('legacy') && value == null)));
}

/** Everything the customer subgraph holds on a customer (and the duplicates merged into it). */
const SOURCES: ExportSource[] = [
  // The derived search and sort keys repeat the name and e-mail already exported.
  { name: 'customers', table: customers, where: byCustomer(customers.id), omit: ['searchText', 'sortName'], map: customerInClear },
  { name: 'history', table: customerHistory, where: byCustomer(customerHistory.customerId) },
  { name: 'preferences', table: preferences, where: byCustomer(preferences.customerId) },
  { name: 'consents', table: consents, where: byCustomer(consents.customerId) },
  { name: 'devices', table: devices, where: byCustomer(devices.customerId) },
  { name: 'contacts', table: contacts, where: byCustomer(contacts.customerId) },
  { name: 'purchases', table: purchases, where: byCustomer(purchases.customerId) },
  { name: 'refunds', table: purchaseRefunds, where: byParent(purchaseRefunds.purchaseId, purchases, purchases.id, purchases.customerId) },
  { name: 'trips', table: trips, where: byCustomer(trips.customerId) },
  { name: 'activity', table: activity, where: byCustomer(activity.customerId) },
  { name: 'loyaltyTiers', table: knownTiers, where: byCustomer(knownTiers.customerId) },
  { name: 'dataSubjectExports', table: dataSubjectExports, where: byCustomer(dataSubjectExports.customerId) },
  // Who acted and how, without the address of the staff member's workstation (a security detail, not the customer's data).
  { name: 'auditTrail', table: auditLog, where: byAnyCustomer(auditLog.customerIds), omit: ['clientAddress'] },
  { name: 'events', table: outbox, where: byCustomer(outbox.customerId), omit: ['attempts', 'lastError'] },
];

export const customerDataExportConsumer = dataExportConsumer({
  name: 'customer.data-export',
  subgraph: 'customer',
  sections: dataExportSections,
  outbox,
  sources: SOURCES,
});

/**
 * Starts a data-subject export of a customer in the background: GdprExport (with MFA), or the customer asking for
 * its own copy. A merged duplicate's id exports the customer it was merged into. While an export of the customer
 * is still PENDING or RUNNING, asking again answers that one instead of starting another.
 */
export async function requestDataSubjectExport(db: Database, caller: Caller, events: EventContext, rawId: string, now = new Date()): Promise<DataSubjectExportRow> {
  const askedFor = requireUuid('customerId', rawId);
  requireDataExportAccess(caller, askedFor);
  await deleteExpiredExports(db, now);
  return db.transaction(async (tx) => {
    const [asked] = await tx.select().from(customers).where(eq(customers.id, askedFor));
    if (!asked) throw new NotFoundError('Customer', askedFor, 'CUST-001');
    const customerId = asked.mergedIntoId ?? asked.id;
    if (customerId !== askedFor) requireDataExportAccess(caller, customerId);
    // One request at a time per customer: the lock orders concurrent requests, the second finds the first.
    await tx.select({ id: customers.id }).from(customers).where(eq(customers.id, customerId)).for('update');
    const [running] = await tx
      .select()
      .from(dataSubjectExports)
      .where(and(eq(dataSubjectExports.customerId, customerId), inArray(dataSubjectExports.status, ['PENDING', 'RUNNING'])))
      .orderBy(desc(dataSubjectExports.requestedAt))
      .limit(1);
    if (running) return running;
    const merged = await tx.select({ id: customers.id }).from(customers).where(eq(customers.mergedIntoId, customerId));
    const customerIds = [customerId, ...merged.map((m) => m.id)];
    const expiresAt = new Date(now.getTime() + DATA_EXPORT_RETENTION_MS);
    const [row] = await tx
      .insert(dataSubjectExports)
      .values({ customerId, customerIds, requestedBy: caller.subject, requestedAt: now, expiresAt })
      .returning();
    await recordEvent(tx, outbox, events, {
      type: DATA_EXPORT_REQUESTED,
      aggregateType: 'DataSubjectExport',
      aggregateId: row!.id,
      customerId,
      data: { exportId: row!.id, customerId, customerIds, expiresAt: expiresAt.toISOString(), requestedBy: caller.subject },
    });
    return row!;
  });
}

/** An export for a caller allowed to read it; null when unknown or expired (expired ones are deleted here). */
export async function findDataSubjectExport(db: Database, caller: Caller, rawId: string, now = new Date()): Promise<DataSubjectExportRow | null> {
  const id = requireUuid('id', rawId);
  const [row] = await db.select().from(dataSubjectExports).where(eq(dataSubjectExports.id, id));
  if (!row) return null;
  if (row.expiresAt < now) {
    await deleteExpiredExports(db, now);
    return null;
  }
  requireDataExportAccess(caller, row.customerId);
  return row;
}

/**
 * Deletes the exports past their expiry, each with a DataSubjectExportExpired event so every subgraph deletes its
 * section too. Returns how many expired.
 */
export async function deleteExpiredExports(db: Database, now = new Date()): Promise<number> {
  const expired = await db.transaction(async (tx) => {
    const rows = await tx.delete(dataSubjectExports).where(lt(dataSubjectExports.expiresAt, now)).returning({ id: dataSubjectExports.id, customerId: dataSubjectExports.customerId });
    for (const row of rows) {
      await recordEvent(tx, outbox, EXPIRY_EVENTS, {
        type: DATA_EXPORT_EXPIRED,
        aggregateType: 'DataSubjectExport',
        aggregateId: row.id,
        customerId: row.customerId,
        data: { exportId: row.id, customerId: row.customerId },
      });
    }
    await tx.delete(dataExportSections).where(lt(dataExportSections.expiresAt, now));
    return rows.length;
  });
  if (expired) nudgeOutbox('customer');
  return expired;
}

const EXPIRY_EVENTS: EventContext = { source: 'cmp.customer', traceparent: null };

/** Expires data-subject exports hourly (and once at start); safe on every replica (a row is deleted once). */
export function startDataExportExpiry(db: Database, logger: Logger, intervalMs = 3_600_000): RunningJob {
  const log = logger.child({ component: 'data-export-expiry' });
  const expire = async () => {
    const expired = await deleteExpiredExports(db);
    if (expired) log.info({ expired }, 'data-subject exports expired and deleted');
  };
  void expire().catch((error: unknown) => log.error({ err: error }, 'expiring data-subject exports failed; tried again next interval'));
  return startIntervalJob('data-export-expiry', intervalMs, log, expire);
}

/**
 * Progress: each subgraph's ready (or failed) section, counted once whatever the redeliveries. RUNNING from the
 * first section, COMPLETED with all five, FAILED as soon as one subgraph could not build its section.
 */
export const dataExportProgressConsumer: EventConsumer = {
  name: 'customer.data-export-progress',
  types: [...DATA_EXPORT_SUBGRAPHS.map(dataExportSectionReady), ...DATA_EXPORT_SUBGRAPHS.map(dataExportSectionFailed)],
  // Each subgraph's section on its own, whatever order they answer in.
  orderedWithin: 'type',
  async handle(db, event) {
    const data = event.data as { exportId?: string; subgraph?: string; failure?: string };
    if (typeof data.exportId !== 'string' || typeof data.subgraph !== 'string') return;
    const failed = event.type.endsWith('SectionFailed');
    const at = new Date(event.time);
    await db.transaction(async (tx) => {
      const [row] = await tx.select().from(dataSubjectExports).where(eq(dataSubjectExports.id, data.exportId!)).for('update');
      if (!row || row.readySections.includes(data.subgraph!) || row.failures.some((f) => f.startsWith(`${data.subgraph}:`))) return;
      const readySections = failed ? row.readySections : [...row.readySections, data.subgraph!].sort();
      const failures = failed ? [...row.failures, `${data.subgraph}: ${data.failure ?? 'the section could not be built'}`] : row.failures;
      const complete = DATA_EXPORT_SUBGRAPHS.every((s) => readySections.includes(s));
      const status = failures.length ? 'FAILED' : complete ? 'COMPLETED' : 'RUNNING';
      await tx
        .update(dataSubjectExports)
        .set({
          readySections,
          failures,
          status,
          startedAt: row.startedAt ?? at,
          completedAt: status === 'COMPLETED' || status === 'FAILED' ? (row.completedAt ?? at) : null,
        })
        .where(eq(dataSubjectExports.id, row.id));
    });
  },
};

/** An erased customer's export requests go too (each subgraph's data-export consumer deletes its sections). */
export const dataExportErasureConsumer: EventConsumer = {
  name: 'customer.data-export-erasure',
  types: ['cmp.customer.CustomerErasureRequested'],
  async handle(db, event) {
    const ids = (event.data as { customerIds?: unknown }).customerIds;
    if (!Array.isArray(ids) || !ids.length) return;
    const customerIds = ids.filter((id): id is string => typeof id === 'string');
    await db.delete(dataSubjectExports).where(inArray(dataSubjectExports.customerId, customerIds));
  },
};
