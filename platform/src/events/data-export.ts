import { arrayOverlaps, eq, getTableColumns, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { index, integer, jsonb, text, timestamp, uuid, type PgColumn, type PgSchema, type PgTable } from 'drizzle-orm/pg-core';
import type { AuditRecorder } from '../audit/recorder.ts';
import { canAccessCustomer, requireCustomerAccess, type Caller } from '../auth/caller.ts';
import { Privilege } from '../auth/roles.ts';
import type { Database, Executor } from '../db/database.ts';
import { recordEvent, type OutboxTable } from '../db/outbox.ts';
import { ForbiddenError } from '../errors.ts';
import type { EventConsumer } from './consumer.ts';
import type { CloudEvent } from './envelope.ts';

/**
 * GDPR data-subject export (Art. 15 and 20). The customer subgraph records the request and publishes
 * `DataSubjectExportRequested`; every subgraph (customer included) gathers everything it holds on the customer,
 * stores that section in its own `data_export_sections` table (a section can be megabytes, more than an event may
 * carry) and publishes a small `DataSubjectExportSectionReady` (or `...SectionFailed`); the customer subgraph counts
 * them. Each subgraph serves its own section as a field of `DataSubjectExport`, so one query reads the whole document.
 */
export const DATA_EXPORT_REQUESTED = 'cmp.customer.DataSubjectExportRequested';
/** The customer subgraph's expiry of an export: every subgraph deletes its section. */
export const DATA_EXPORT_EXPIRED = 'cmp.customer.DataSubjectExportExpired';
/** The erasure fan-out's request (see customer-erasure.ts); named here so this module stands on its own. */
const ERASURE_REQUESTED = 'cmp.customer.CustomerErasureRequested';
export const DATA_EXPORT_SUBGRAPHS = ['customer', 'interaction', 'case', 'invitation', 'loyalty'] as const;
export const dataExportSectionReady = (subgraph: string) => `cmp.${subgraph}.DataSubjectExportSectionReady`;
export const dataExportSectionFailed = (subgraph: string) => `cmp.${subgraph}.DataSubjectExportSectionFailed`;
/** Sections and the request are deleted this long after the request (a new request makes a fresh copy). */
export const DATA_EXPORT_RETENTION_MS = 7 * 24 * 3_600_000;

export interface DataExportRequestedData {
  exportId: string;
  customerId: string;
  /** The customer and every duplicate merged into it: a subgraph that kept records under a source id finds them too. */
  customerIds: string[];
  expiresAt: string;
}

export function defineDataExportSections(schema: PgSchema) {
  return schema.table(
    'data_export_sections',
    {
      exportId: uuid('export_id').primaryKey(),
      customerId: uuid('customer_id').notNull(),
      /** Record lists by kind (`cases`, `messages`, ...), rows in clear, as the data subject is owed them. */
      section: jsonb('section').$type<Record<string, unknown>>().notNull(),
      recordCount: integer('record_count').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
      /** Set when building failed; `section` is then empty. */
      failure: text('failure'),
    },
    (t) => [index('data_export_sections_expiry_idx').on(t.expiresAt), index('data_export_sections_customer_idx').on(t.customerId)],
  );
}

export type DataExportSectionsTable = ReturnType<typeof defineDataExportSections>;
export type DataExportSectionRow = DataExportSectionsTable['$inferSelect'];

/** One kind of record in a section: every row of `table` that `where(customerIds)` selects. */
export interface ExportSource {
  name: string;
  table: PgTable;
  where: (customerIds: string[]) => SQL | undefined;
  /** Columns never exported (derived search text, hashes of secrets such as upload tokens). */
  omit?: readonly string[];
  /** Rewrites a row before export, e.g. to decrypt a sensitive field; `db` is the subgraph's database. */
  map?: (row: Record<string, unknown>, db: Database) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Rows of a table whose customer column holds one of the customer ids. */
export const byCustomer = (column: PgColumn) => (ids: string[]) => inArray(column, ids);

/** Rows whose array column names any of the customers (the audit trail's `customerIds`). */
export const byAnyCustomer = (column: PgColumn) => (ids: string[]) => arrayOverlaps(column, ids);

/** Rows whose `column` points at a row of a table owned by the customer (comments of the customer's cases, ...). */
export const byParent = (column: PgColumn, parent: PgTable, parentId: PgColumn, parentCustomerId: PgColumn) => (ids: string[]) =>
  inArray(column, sql`(select ${parentId} from ${parent} where ${inArray(parentCustomerId, ids)})`);

/** JSON-ready copy of a database value: binary content is described, not inlined (files are served where they live). */
function exportable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { binary: true, bytes: value.byteLength };
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(exportable);
  return value;
}

/** Everything `sources` hold on the customers, as `{ [source.name]: rows[] }`, and how many rows that is. */
export async function collectExportSection(db: Executor, sources: readonly ExportSource[], customerIds: string[], database: Database) {
  const section: Record<string, unknown[]> = {};
  let recordCount = 0;
  for (const source of sources) {
    const omit = new Set(source.omit ?? []);
    const columns = Object.fromEntries(Object.entries(getTableColumns(source.table)).filter(([name]) => !omit.has(name)));
    const rows = (await db.select(columns).from(source.table).where(source.where(customerIds))) as Record<string, unknown>[];
    section[source.name] = await Promise.all(
      rows.map(async (row) => {
        const mapped = source.map ? await source.map(row, database) : row;
        return Object.fromEntries(Object.entries(mapped).map(([k, v]) => [k, exportable(v)]));
      }),
    );
    recordCount += rows.length;
  }
  return { section, recordCount };
}

function requestOf(event: CloudEvent): DataExportRequestedData | null {
  const data = event.data as Partial<DataExportRequestedData>;
  if (typeof data.exportId !== 'string' || typeof data.customerId !== 'string' || typeof data.expiresAt !== 'string') return null;
  const customerIds = Array.isArray(data.customerIds) && data.customerIds.length ? data.customerIds : [data.customerId];
  return { exportId: data.exportId, customerId: data.customerId, customerIds, expiresAt: data.expiresAt };
}

/**
 * The consumer that builds this subgraph's section of an export: idempotent by export id (a redelivered request
 * finds its section and publishes nothing again). A section that cannot be built is recorded as failed with the
 * reason, and `SectionFailed` tells the customer subgraph, so the export ends FAILED instead of waiting forever.
 * Sections go when their export expires (DataSubjectExportExpired; expired ones are also deleted whenever a request
 * arrives and never served), and an erased customer's on its erasure.
 */
export function dataExportConsumer(options: {
  name: string;
  subgraph: string;
  sections: DataExportSectionsTable;
  outbox: OutboxTable;
  sources: readonly ExportSource[];
}): EventConsumer {
  const { sections, outbox, subgraph } = options;
  const context = { source: `cmp.${subgraph}` };
  return {
    name: options.name,
    types: [DATA_EXPORT_REQUESTED, DATA_EXPORT_EXPIRED, ERASURE_REQUESTED],
    async handle(db, event) {
      if (event.type === DATA_EXPORT_EXPIRED) {
        const { exportId } = event.data as { exportId?: unknown };
        if (typeof exportId === 'string') await db.delete(sections).where(eq(sections.exportId, exportId));
        await deleteExpiredSections(db, sections);
        return;
      }
      if (event.type === ERASURE_REQUESTED) {
        // A copy of the data must not outlive the data: an erased customer's sections go.
        const ids = (event.data as { customerIds?: unknown }).customerIds;
        const customerIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
        if (customerIds.length) await db.delete(sections).where(inArray(sections.customerId, customerIds));
        return;
      }
      const request = requestOf(event);
      if (!request) return;
      await deleteExpiredSections(db, sections);
      const [existing] = await db.select({ exportId: sections.exportId }).from(sections).where(eq(sections.exportId, request.exportId));
      if (existing) return;
      const base = { exportId: request.exportId, customerId: request.customerId, expiresAt: new Date(request.expiresAt) };
      try {
        await db.transaction(async (tx) => {
          const { section, recordCount } = await collectExportSection(tx, options.sources, request.customerIds, db);
          const [inserted] = await tx.insert(sections).values({ ...base, section, recordCount }).onConflictDoNothing().returning({ exportId: sections.exportId });
          if (!inserted) return;
          await recordEvent(tx, outbox, context, {
            type: dataExportSectionReady(subgraph),
            aggregateType: 'DataSubjectExport',
            aggregateId: request.exportId,
            customerId: request.customerId,
            data: { exportId: request.exportId, customerId: request.customerId, subgraph, recordCount },
          });
        });
      } catch (error) {
        const failure = `building the ${subgraph} section failed: ${(error as Error).message.split('\n')[0]!.slice(0, 300)}`;
        await db.transaction(async (tx) => {
          const [inserted] = await tx.insert(sections).values({ ...base, section: {}, recordCount: 0, failure }).onConflictDoNothing().returning({ exportId: sections.exportId });
          if (!inserted) return;
          await recordEvent(tx, outbox, context, {
            type: dataExportSectionFailed(subgraph),
            aggregateType: 'DataSubjectExport',
            aggregateId: request.exportId,
            customerId: request.customerId,
            data: { exportId: request.exportId, customerId: request.customerId, subgraph, failure },
          });
        });
      }
    },
  };
}

export async function deleteExpiredSections(db: Executor, sections: DataExportSectionsTable, now = new Date()): Promise<void> {
  await db.delete(sections).where(lt(sections.expiresAt, now));
}

/** Who may read an export of a customer: GdprExport (with MFA), or the customer itself (its own copy, Art. 15). */
export function mayReadDataExport(caller: Caller, customerId: string): boolean {
  return canAccessCustomer(caller, customerId, Privilege.GdprExport) || (caller.roles.includes('Customer') && caller.customerId === customerId);
}

export function requireDataExportAccess(caller: Caller, customerId: string): void {
  if (mayReadDataExport(caller, customerId)) return;
  // Explains a missing MFA to a role that holds the privilege; FORBIDDEN naming the privilege otherwise.
  requireCustomerAccess(caller, customerId, Privilege.GdprExport);
  throw new ForbiddenError(`You may not export the data of customer ${customerId} (${Privilege.GdprExport})`);
}

/**
 * This subgraph's section of an export for the caller: null when there is none (yet) or it expired (deleted here
 * then); FORBIDDEN when the caller may not read it. A read of a section is audited as `data-export-read`.
 */
export async function readDataExportSection(
  db: Database,
  sections: DataExportSectionsTable,
  caller: Caller,
  exportId: string,
  options: { audit?: Pick<AuditRecorder, 'record'>; field: string },
  now = new Date(),
): Promise<DataExportSectionRow | null> {
  const [row] = await db.select().from(sections).where(eq(sections.exportId, exportId));
  if (!row) return null;
  if (row.expiresAt < now) {
    await deleteExpiredSections(db, sections, now);
    return null;
  }
  try {
    requireDataExportAccess(caller, row.customerId);
  } catch (error) {
    options.audit?.record({ action: 'data-export-read', outcome: 'FORBIDDEN', fields: [options.field], customerIds: [row.customerId], targetType: 'DataSubjectExport', targetId: exportId });
    throw error;
  }
  options.audit?.record({ action: 'data-export-read', fields: [options.field], customerIds: [row.customerId], targetType: 'DataSubjectExport', targetId: exportId });
  return row;
}
