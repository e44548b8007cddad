import {
  AppError,
  BadUserInputError,
  ErrorCode,
  Privilege,
  recordEvent,
  requirePrivilege,
  requireUuid,
  uniqueViolationConstraint,
  type Caller,
  type Database,
  type EventContext,
  type Logger,
} from '@cmp/platform';
import type { ColumnMapping, ContactField } from '../__generated__/resolvers-types.ts';
import { findCustomerIdByNumber } from '../db/contacts.repo.ts';
import { outbox, type ContactImportRow } from '../db/schema.ts';
import { finishImport, insertImport, recordImportProgress, type RowErrorEntry } from '../db/transfer.repo.ts';
import { addContactInTransaction, validateNewContact } from '../domain/contacts.ts';
import { CONTACT_FIELDS, FIELD_COLUMNS, NOT_AN_OBJECT, readSheet, UnreadableFileError, type Cell, type FileFormat } from './codecs.ts';
import { newToken, sha256 } from './links.ts';

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 10_000;
/** Files up to this many rows are imported while the upload waits; larger ones in the background. */
export const INLINE_IMPORT_ROWS = 100;
export const UPLOAD_VALID_MS = 15 * 60_000;
/** Progress is written (and the lease renewed) after every chunk of this many rows. */
export const IMPORT_CHUNK_ROWS = 200;
export const LEASE_MS = 2 * 60_000;

export type StartedImport = ContactImportRow & { uploadUrl: string };

const headerKey = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

/** Checks a user's mapping: known columns once each, each field from one column. */
function validateMapping(mapping: readonly ColumnMapping[]): Record<string, ContactField> {
  const result: Record<string, ContactField> = {};
  const fields = new Set<ContactField>();
  for (const { column, field } of mapping) {
    const name = column.trim();
    if (!name) throw new BadUserInputError('mapping', 'a column name is empty');
    if (name in result) throw new BadUserInputError('mapping', `column "${name}" is mapped twice`);
    if (fields.has(field)) throw new BadUserInputError('mapping', `${field} is mapped from two columns`);
    result[name] = field;
    fields.add(field);
  }
  const missing = requiredFieldsMissing(fields);
  if (missing) throw new BadUserInputError('mapping', missing);
  return result;
}

function requiredFieldsMissing(fields: Set<ContactField>): string | null {
  const missing: string[] = (['FIRST_NAME', 'LAST_NAME', 'EMAIL'] as const).filter((f) => !fields.has(f));
  if (!fields.has('CUSTOMER_NUMBER') && !fields.has('CUSTOMER_ID')) missing.unshift('CUSTOMER_NUMBER or CUSTOMER_ID');
  return missing.length ? `no column is mapped to ${missing.join(', ')}` : null;
}

export async function startContactImport(
  db: Database,
  caller: Caller,
  origin: string,
  input: { format: FileFormat; mapping?: readonly ColumnMapping[] | null },
): Promise<StartedImport> {
  requirePrivilege(caller, Privilege.CustomerUpdate);
  const mapping = input.mapping?.length ? validateMapping(input.mapping) : {};
  const token = newToken();
  const row = await insertImport(db, {
    format: input.format,
    mapping,
    status: 'AWAITING_UPLOAD',
    uploadTokenHash: sha256(token),
    uploadExpiresAt: new Date(Date.now() + UPLOAD_VALID_MS),
    createdBy: caller.subject,
  });
  return { ...row, uploadUrl: `${origin}/v1/contact-imports/${row.id}/${token}` };
}

/** The column each field is read from: the user's mapping, or headers named like the fields. */
function resolveColumns(headers: string[], mapping: Record<string, string>): Map<ContactField, string[]> {
  const columns = new Map<ContactField, string[]>();
  if (Object.keys(mapping).length > 0) {
    for (const [column, field] of Object.entries(mapping)) {
      if (!headers.includes(column)) throw new UnreadableFileError(`the file has no column "${column}" (mapped to ${field})`);
      columns.set(field as ContactField, [column]);
    }
  } else {
    // JSON objects may each spell a field differently (firstName, first_name): every matching key is a candidate.
    for (const field of CONTACT_FIELDS) {
      const matching = headers.filter((h) => headerKey(h) === headerKey(FIELD_COLUMNS[field]));
      if (matching.length) columns.set(field, matching);
    }
    const missing = requiredFieldsMissing(new Set(columns.keys()));
    if (missing) throw new UnreadableFileError(`${missing}: name the columns customerNumber, firstName, lastName, email (or give a mapping)`);
  }
  return columns;
}

function text(field: string, value: Cell): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new BadUserInputError(field, 'must be text');
}

function flag(field: string, value: Cell): boolean {
  if (typeof value === 'boolean') return value;
  const raw = text(field, value)?.toLowerCase() ?? '';
  if (['', 'false', 'no', 'n', '0'].includes(raw)) return false;
  if (['true', 'yes', 'y', '1'].includes(raw)) return true;
  throw new BadUserInputError(field, `"${raw}" is not true or false`);
}

function tagList(field: string, value: Cell): string[] {
  if (Array.isArray(value)) {
    return value.map((v) => {
      if (typeof v !== 'string') throw new BadUserInputError(field, 'must be a list of text tags');
      return v;
    });
  }
  return (text(field, value) ?? '').split(/[;,]/).map((t) => t.trim()).filter(Boolean);
}

interface ParsedRow {
  customer: { id: string } | { number: string };
  contact: ReturnType<typeof validateNewContact>;
}

function parseRow(record: Record<string, Cell>, columns: Map<ContactField, string[]>): ParsedRow {
  if (NOT_AN_OBJECT in record) throw new BadUserInputError('row', String(record[NOT_AN_OBJECT]));
  const get = (field: ContactField) => {
    const column = columns.get(field)?.find((c) => record[c] !== undefined);
    return column === undefined ? undefined : record[column];
  };
  const name = (field: ContactField) => FIELD_COLUMNS[field];
  const customerId = text(name('CUSTOMER_ID'), get('CUSTOMER_ID'));
  const customerNumber = text(name('CUSTOMER_NUMBER'), get('CUSTOMER_NUMBER'));
  if (!customerId && !customerNumber) throw new BadUserInputError(columns.has('CUSTOMER_ID') ? 'customerId' : 'customerNumber', 'is required');
  const contact = validateNewContact({
    firstName: text('firstName', get('FIRST_NAME')) ?? '',
    lastName: text('lastName', get('LAST_NAME')) ?? '',
    email: text('email', get('EMAIL')) ?? '',
    phone: text('phone', get('PHONE')),
    jobTitle: text('jobTitle', get('JOB_TITLE')),
    isPrimary: flag('isPrimary', get('IS_PRIMARY')),
    tags: tagList('tags', get('TAGS')),
  });
  return { customer: customerId ? { id: requireUuid('customerId', customerId) } : { number: customerNumber! }, contact };
}

function rowError(row: number, error: unknown): RowErrorEntry | null {
  if (uniqueViolationConstraint(error) === 'contacts_customer_email_key') {
    return { row, field: 'email', message: 'CONT-002: the customer already has a contact with this e-mail address' };
  }
  if (!(error instanceof AppError)) return null;
  const field = (error.extensions.field as string | undefined) ?? null;
  const message = error.code === ErrorCode.BAD_USER_INPUT ? error.message : `${error.code}: ${error.message}`;
  return { row, field, message };
}

/** Imports one row in its own transaction: a bad row is reported and never undoes another. */
async function importRow(db: Database, job: ContactImportRow, events: EventContext, parsed: ParsedRow) {
  let customerId: string;
  if ('id' in parsed.customer) {
    customerId = parsed.customer.id;
  } else {
    const found = await findCustomerIdByNumber(db, parsed.customer.number);
    if (!found) throw new BadUserInputError('customerNumber', `no customer has the number ${parsed.customer.number}`);
    customerId = found;
  }
  await db.transaction((tx) => addContactInTransaction(tx, job.createdBy, events, customerId, parsed.contact));
}

export type ImportOutcome = 'finished' | 'lost-lease';

/**
 * Works an import this process holds the lease of, from the first row not yet counted (a job taken over from a
 * crashed worker resumes after the last chunk that worker recorded). Ends COMPLETED (bad rows in the report) or
 * FAILED (the file as a whole is refused), and records `ContactImportCompleted` with the final counts.
 */
export async function runImport(db: Database, job: ContactImportRow, lease: Date, events: EventContext, log: Logger): Promise<ImportOutcome> {
  let sheet;
  let columns: Map<ContactField, string[]>;
  try {
    sheet = await readSheet(job.format, job.file ?? Buffer.alloc(0));
    if (sheet.rows.length > MAX_IMPORT_ROWS) {
      throw new UnreadableFileError(`the file has ${sheet.rows.length} data rows; an import takes at most ${MAX_IMPORT_ROWS}`);
    }
    if (sheet.rows.length === 0) throw new UnreadableFileError('the file has a header but no data rows');
    columns = resolveColumns(sheet.headers, job.mapping);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    return (await finish(db, job, lease, events, { status: 'FAILED', failure: error.message, totalRows: sheet?.rows.length ?? null })) ? 'finished' : 'lost-lease';
  }

  const total = sheet.rows.length;
  let currentLease = lease;
  let processed = job.processedRows;
  while (processed < total) {
    const end = Math.min(total, processed + IMPORT_CHUNK_ROWS);
    const errors: RowErrorEntry[] = [];
    let imported = 0;
    for (let index = processed; index < end; index++) {
      const rowNumber = index + 1;
      try {
        await importRow(db, job, events, parseRow(sheet.rows[index]!, columns));
        imported++;
      } catch (error) {
        const reported = rowError(rowNumber, error);
        if (!reported) throw error;
        errors.push(reported);
      }
      // Embedded PGlite runs statements on this thread: without a turn of the event loop between rows, requests
      // (progress reads among them) would wait for the whole import.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const nextLease = new Date(Date.now() + LEASE_MS);
    const held = await recordImportProgress(
      db,
      job.id,
      currentLease,
      { processedRows: end, imported, failed: errors.length, errors, totalRows: total },
      nextLease,
    );
    if (!held) {
      log.warn({ importId: job.id }, 'contact import lease was taken over; this worker stops');
      return 'lost-lease';
    }
    currentLease = nextLease;
    processed = end;
  }
  return (await finish(db, job, currentLease, events, { status: 'COMPLETED', totalRows: total })) ? 'finished' : 'lost-lease';
}

async function finish(
  db: Database,
  job: ContactImportRow,
  lease: Date,
  events: EventContext,
  values: { status: 'COMPLETED' | 'FAILED'; failure?: string; totalRows: number | null },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const done = await finishImport(tx, job.id, lease, values);
    if (!done) return false;
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.ContactImportCompleted',
      aggregateType: 'ContactImport',
      aggregateId: done.id,
      customerId: null,
      data: {
        importId: done.id,
        status: done.status,
        totalRows: done.totalRows,
        importedRows: done.importedRows,
        failedRows: done.failedRows,
        failure: done.failure,
        startedBy: done.createdBy,
      },
    });
    return true;
  });
}

/** How far an import is, 0-100. */
export function importProgress(row: Pick<ContactImportRow, 'status' | 'totalRows' | 'processedRows'>): number {
  if (row.status === 'COMPLETED' || row.status === 'FAILED') return 100;
  if (!row.totalRows) return 0;
  return Math.min(100, Math.floor((row.processedRows * 100) / row.totalRows));
}

/** What the upload answers and `contactImport` shows, as plain JSON. */
export function importSummary(row: ContactImportRow) {
  return {
    id: row.id,
    format: row.format,
    status: row.status,
    totalRows: row.totalRows,
    processedRows: row.processedRows,
    importedRows: row.importedRows,
    failedRows: row.failedRows,
    progressPercent: importProgress(row),
    failure: row.failure,
    errors: row.errors.slice(0, 100),
  };
}
