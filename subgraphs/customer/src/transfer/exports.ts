import {
  BadUserInputError,
  ForbiddenError,
  isSelfServiceOnly,
  Privilege,
  requireCustomerAccess,
  requirePrivilege,
  requireUuid,
  type Caller,
  type Database,
  type Logger,
} from '@cmp/platform';
import type { ContactField } from '../__generated__/resolvers-types.ts';
import type { ContactExportRow } from '../db/schema.ts';
import { countExportRows, finishExport, findExportRows, insertExport, recordExportProgress, type ExportFilter } from '../db/transfer.repo.ts';
import { normaliseTags } from '../domain/tags.ts';
import { CONTACT_FIELDS, writeSheet, type ExportValue, type FileFormat } from './codecs.ts';
import { LEASE_MS } from './imports.ts';
import { exportToken, sha256 } from './links.ts';

export const MAX_EXPORT_ROWS = 50_000;
export const DOWNLOAD_VALID_MS = 24 * 60 * 60_000;
const EXPORT_PAGE_ROWS = 2_000;

export async function exportContacts(
  db: Database,
  caller: Caller,
  input: { format: FileFormat; customerIds?: readonly string[] | null; tags?: readonly string[] | null; fields?: readonly ContactField[] | null },
): Promise<ContactExportRow> {
  requirePrivilege(caller, Privilege.CustomerRead);
  const customerIds = [...new Set((input.customerIds ?? []).map((id) => requireUuid('customerIds', id)))];
  const tags = normaliseTags('tags', input.tags ?? []);
  if (customerIds.length === 0 && tags.length === 0) {
    throw new BadUserInputError('customerIds', 'name at least one customer or tag to export (customerIds or tags)');
  }
  if (isSelfServiceOnly(caller) && customerIds.length === 0) {
    throw new ForbiddenError('A customer may export only its own contacts: name its customer id');
  }
  for (const id of customerIds) requireCustomerAccess(caller, id, Privilege.CustomerRead);
  const fields = [...new Set(input.fields?.length ? input.fields : CONTACT_FIELDS)];
  const filter: ExportFilter = { customerIds, tags };
  const rows = await countExportRows(db, filter);
  if (rows > MAX_EXPORT_ROWS) {
    throw new BadUserInputError(customerIds.length ? 'customerIds' : 'tags', `the filter selects ${rows} contacts; an export holds at most ${MAX_EXPORT_ROWS}: narrow it`);
  }
  return insertExport(db, { format: input.format, customerIds, tags, fields, status: 'QUEUED', totalRows: rows, createdBy: caller.subject });
}

function value(field: ContactField, row: Awaited<ReturnType<typeof findExportRows>>[number]): ExportValue {
  const c = row.contact;
  switch (field) {
    case 'CUSTOMER_NUMBER':
      return row.customerNumber;
    case 'CUSTOMER_ID':
      return c.customerId;
    case 'FIRST_NAME':
      return c.firstName;
    case 'LAST_NAME':
      return c.lastName;
    case 'EMAIL':
      return c.email;
    case 'PHONE':
      return c.phone;
    case 'JOB_TITLE':
      return c.jobTitle;
    case 'IS_PRIMARY':
      return c.isPrimary;
    case 'TAGS':
      return c.tags;
  }
}

/**
 * Produces an export this process holds the lease of, page by page with progress; more rows than the limit (the
 * data grew since it was started) fails it with the reason. The file goes into the row with its link's hash.
 */
export async function runExport(db: Database, job: ContactExportRow, lease: Date, log: Logger): Promise<void> {
  const filter: ExportFilter = { customerIds: job.customerIds, tags: job.tags };
  const fields = job.fields as ContactField[];
  const total = await countExportRows(db, filter);
  if (total > MAX_EXPORT_ROWS) {
    await finishExport(db, job.id, lease, {
      status: 'FAILED',
      failure: `the filter selects ${total} contacts; an export holds at most ${MAX_EXPORT_ROWS}`,
      totalRows: total,
      processedRows: 0,
    });
    return;
  }
  let currentLease = lease;
  const values: ExportValue[][] = [];
  while (values.length < total) {
    const page = await findExportRows(db, filter, values.length, Math.min(EXPORT_PAGE_ROWS, total - values.length));
    if (page.length === 0) break;
    for (const row of page) values.push(fields.map((f) => value(f, row)));
    const nextLease = new Date(Date.now() + LEASE_MS);
    if (!(await recordExportProgress(db, job.id, currentLease, { totalRows: total, processedRows: values.length }, nextLease))) {
      log.warn({ exportId: job.id }, 'contact export lease was taken over; this worker stops');
      return;
    }
    currentLease = nextLease;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const file = await writeSheet(job.format, fields, values);
  const expiresAt = new Date(Date.now() + DOWNLOAD_VALID_MS);
  await finishExport(db, job.id, currentLease, {
    status: 'COMPLETED',
    file,
    fileBytes: file.length,
    totalRows: values.length,
    processedRows: values.length,
    expiresAt,
    downloadTokenHash: sha256(exportToken(job.id, expiresAt)),
  });
}

export function exportProgress(row: Pick<ContactExportRow, 'status' | 'totalRows' | 'processedRows'>): number {
  if (row.status === 'COMPLETED' || row.status === 'FAILED') return 100;
  if (!row.totalRows) return 0;
  return Math.min(100, Math.floor((row.processedRows * 100) / row.totalRows));
}

/** The link while it is valid; null before completion and after expiry. */
export function downloadUrl(row: ContactExportRow, origin: string, now = new Date()): string | null {
  if (row.status !== 'COMPLETED' || !row.expiresAt || row.expiresAt <= now) return null;
  return `${origin}/v1/contact-exports/${row.id}/${exportToken(row.id, row.expiresAt)}`;
}

/** Only who started an import or export, or an Admin, may see it. */
export function mayReadTransfer(caller: Caller, row: { createdBy: string }): boolean {
  return caller.subject === row.createdBy || caller.roles.includes('Admin');
}
