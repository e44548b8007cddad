import type { Executor } from '@cmp/platform';
import { and, arrayOverlaps, asc, count, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { contactExports, contactImports, contacts, customers, type ContactExportRow, type ContactImportRow } from './schema.ts';

type NewImport = typeof contactImports.$inferInsert;
type NewExport = typeof contactExports.$inferInsert;
export type RowErrorEntry = ContactImportRow['errors'][number];

export async function insertImport(db: Executor, values: NewImport): Promise<ContactImportRow> {
  const [row] = await db.insert(contactImports).values(values).returning();
  return row!;
}

export async function findImport(db: Executor, id: string): Promise<ContactImportRow | null> {
  const [row] = await db.select().from(contactImports).where(eq(contactImports.id, id));
  return row ?? null;
}

/**
 * Stores an upload once: only while the import still awaits it under this token hash. Null when another upload
 * got there first (the token is single-use).
 */
export async function storeUpload(
  db: Executor,
  id: string,
  tokenHash: string,
  values: Pick<NewImport, 'file' | 'fileBytes' | 'status' | 'leaseUntil' | 'startedAt' | 'totalRows'>,
): Promise<ContactImportRow | null> {
  const [row] = await db
    .update(contactImports)
    .set({ ...values, uploadTokenHash: null })
    .where(and(eq(contactImports.id, id), eq(contactImports.status, 'AWAITING_UPLOAD'), eq(contactImports.uploadTokenHash, tokenHash)))
    .returning();
  return row ?? null;
}

/** Claims the oldest import waiting for a worker, or one whose worker's lease ran out; SKIP LOCKED keeps replicas apart. */
export async function claimImport(db: Executor, now: Date, leaseUntil: Date): Promise<ContactImportRow | null> {
  return db.transaction(async (tx) => {
    const [candidate] = await tx
      .select({ id: contactImports.id })
      .from(contactImports)
      .where(or(eq(contactImports.status, 'QUEUED'), and(eq(contactImports.status, 'RUNNING'), lt(contactImports.leaseUntil, now))))
      .orderBy(asc(contactImports.createdAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!candidate) return null;
    const [row] = await tx
      .update(contactImports)
      .set({ status: 'RUNNING', leaseUntil, startedAt: sql`coalesce(${contactImports.startedAt}, now())` })
      .where(eq(contactImports.id, candidate.id))
      .returning();
    return row ?? null;
  });
}

/**
 * Records a chunk's progress and renews the lease, only while this worker still holds it (`lease` is the fence: a
 * worker whose lease was taken over finds no row and stops).
 */
export async function recordImportProgress(
  db: Executor,
  id: string,
  lease: Date,
  progress: { processedRows: number; imported: number; failed: number; errors: RowErrorEntry[]; totalRows: number },
  nextLease: Date,
): Promise<boolean> {
  const rows = await db
    .update(contactImports)
    .set({
      totalRows: progress.totalRows,
      processedRows: progress.processedRows,
      importedRows: sql`${contactImports.importedRows} + ${progress.imported}`,
      failedRows: sql`${contactImports.failedRows} + ${progress.failed}`,
      errors: sql`${contactImports.errors} || ${JSON.stringify(progress.errors)}::jsonb`,
      leaseUntil: nextLease,
    })
    .where(and(eq(contactImports.id, id), eq(contactImports.status, 'RUNNING'), eq(contactImports.leaseUntil, lease)))
    .returning({ id: contactImports.id });
  return rows.length === 1;
}

export async function finishImport(
  db: Executor,
  id: string,
  lease: Date,
  values: { status: 'COMPLETED' | 'FAILED'; failure?: string | null; totalRows?: number | null },
): Promise<ContactImportRow | null> {
  const [row] = await db
    .update(contactImports)
    .set({ ...values, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(contactImports.id, id), eq(contactImports.status, 'RUNNING'), eq(contactImports.leaseUntil, lease)))
    .returning();
  return row ?? null;
}

export async function insertExport(db: Executor, values: NewExport): Promise<ContactExportRow> {
  const [row] = await db.insert(contactExports).values(values).returning();
  return row!;
}

export async function findExport(db: Executor, id: string): Promise<ContactExportRow | null> {
  const [row] = await db.select().from(contactExports).where(eq(contactExports.id, id));
  return row ?? null;
}

export async function claimExport(db: Executor, now: Date, leaseUntil: Date): Promise<ContactExportRow | null> {
  return db.transaction(async (tx) => {
    const [candidate] = await tx
      .select({ id: contactExports.id })
      .from(contactExports)
      .where(or(eq(contactExports.status, 'QUEUED'), and(eq(contactExports.status, 'RUNNING'), lt(contactExports.leaseUntil, now))))
      .orderBy(asc(contactExports.createdAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!candidate) return null;
    const [row] = await tx
      .update(contactExports)
      .set({ status: 'RUNNING', leaseUntil, processedRows: 0 })
      .where(eq(contactExports.id, candidate.id))
      .returning();
    return row ?? null;
  });
}

export async function recordExportProgress(
  db: Executor,
  id: string,
  lease: Date,
  values: { totalRows?: number; processedRows: number },
  nextLease: Date,
): Promise<boolean> {
  const rows = await db
    .update(contactExports)
    .set({ ...values, leaseUntil: nextLease })
    .where(and(eq(contactExports.id, id), eq(contactExports.status, 'RUNNING'), eq(contactExports.leaseUntil, lease)))
    .returning({ id: contactExports.id });
  return rows.length === 1;
}

export async function finishExport(
  db: Executor,
  id: string,
  lease: Date,
  values: Pick<NewExport, 'status' | 'failure' | 'file' | 'fileBytes' | 'downloadTokenHash' | 'expiresAt' | 'processedRows' | 'totalRows'>,
): Promise<ContactExportRow | null> {
  const [row] = await db
    .update(contactExports)
    .set({ ...values, finishedAt: new Date(), leaseUntil: null })
    .where(and(eq(contactExports.id, id), eq(contactExports.status, 'RUNNING'), eq(contactExports.leaseUntil, lease)))
    .returning();
  return row ?? null;
}

export interface ExportFilter {
  customerIds: string[];
  tags: string[];
}

function exportWhere({ customerIds, tags }: ExportFilter) {
  return and(
    isNull(contacts.removedAt),
    isNull(customers.deactivatedAt),
    customerIds.length ? inArray(contacts.customerId, customerIds) : undefined,
    tags.length ? arrayOverlaps(contacts.tags, tags) : undefined,
  );
}

/** How many live contacts of live customers the filter selects. */
export async function countExportRows(db: Executor, filter: ExportFilter): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(contacts)
    .innerJoin(customers, eq(customers.id, contacts.customerId))
    .where(exportWhere(filter));
  return Number(row?.n ?? 0);
}

/** One page of the export, by customer number, the primary first. */
export function findExportRows(db: Executor, filter: ExportFilter, offset: number, limit: number) {
  return db
    .select({ contact: contacts, customerNumber: customers.customerNumber })
    .from(contacts)
    .innerJoin(customers, eq(customers.id, contacts.customerId))
    .where(exportWhere(filter))
    .orderBy(asc(customers.customerNumber), desc(contacts.isPrimary), asc(contacts.createdAt), asc(contacts.id))
    .offset(offset)
    .limit(limit);
}
