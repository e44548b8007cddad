import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { ContactField } from '../__generated__/resolvers-types.ts';

export type FileFormat = 'CSV' | 'XLSX' | 'JSON';

export const CONTENT_TYPES: Record<FileFormat, string> = {
  CSV: 'text/csv',
  JSON: 'application/json',
  XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const EXTENSIONS: Record<FileFormat, string> = { CSV: 'csv', JSON: 'json', XLSX: 'xlsx' };

/** The column name of each field in exported files, which is also a name the default import mapping recognises. */
export const FIELD_COLUMNS: Record<ContactField, string> = {
  CUSTOMER_NUMBER: 'customerNumber',
  CUSTOMER_ID: 'customerId',
  FIRST_NAME: 'firstName',
  LAST_NAME: 'lastName',
  EMAIL: 'email',
  PHONE: 'phone',
  JOB_TITLE: 'jobTitle',
  IS_PRIMARY: 'isPrimary',
  TAGS: 'tags',
};
export const CONTACT_FIELDS = Object.keys(FIELD_COLUMNS) as ContactField[];

/** A cell as read from a file: text from CSV and XLSX, any JSON value from JSON. */
export type Cell = unknown;

export interface Sheet {
  /** Column headers in file order (for JSON, every key seen, in order of first appearance). */
  headers: string[];
  /** One record per data row, keyed by header. */
  rows: Record<string, Cell>[];
}

/** The file cannot be read as its format at all; the whole import fails with this reason. */
export class UnreadableFileError extends Error {}

function headerRow(values: string[], format: FileFormat): string[] {
  const headers = values.map((v) => v.trim());
  if (headers.length === 0 || headers.every((h) => h === '')) throw new UnreadableFileError(`the ${format} file has no header row`);
  const seen = new Set<string>();
  for (const h of headers) {
    if (h && seen.has(h)) throw new UnreadableFileError(`the header "${h}" appears twice`);
    seen.add(h);
  }
  return headers;
}

function readCsv(bytes: Buffer): Sheet {
  let records: string[][];
  try {
    records = parseCsv(bytes, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new UnreadableFileError(`the CSV file cannot be read: ${(error as Error).message}`);
  }
  const [first, ...data] = records;
  if (!first) throw new UnreadableFileError('the CSV file is empty');
  const headers = headerRow(first, 'CSV');
  return { headers, rows: data.map((values) => Object.fromEntries(headers.map((h, i) => [h, values[i] ?? '']))) };
}

async function readXlsx(bytes: Buffer): Promise<Sheet> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw new UnreadableFileError(`the XLSX file cannot be read: ${(error as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.actualRowCount === 0) throw new UnreadableFileError('the XLSX file has no worksheet with rows');
  const columns = sheet.getRow(1).cellCount;
  const text = (row: ExcelJS.Row, column: number) => row.getCell(column).text?.trim() ?? '';
  const first = sheet.getRow(1);
  const headers = headerRow(Array.from({ length: columns }, (_, i) => text(first, i + 1)), 'XLSX');
  const rows: Record<string, Cell>[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    if (number === 1) return;
    const values = headers.map((_, i) => text(row, i + 1));
    if (values.every((v) => v === '')) return;
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i]])));
  });
  return { headers, rows };
}

function readJson(bytes: Buffer): Sheet {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UnreadableFileError(`the JSON file cannot be read: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new UnreadableFileError('the JSON file must hold an array of objects, one per contact');
  const headers: string[] = [];
  const rows = value.map((item, index) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      // A non-object entry is reported on its own row, not as a broken file.
      return { [NOT_AN_OBJECT]: `entry ${index + 1} is not an object` } as Record<string, Cell>;
    }
    for (const key of Object.keys(item)) if (!headers.includes(key)) headers.push(key);
    return item as Record<string, Cell>;
  });
  return { headers, rows };
}

/** Marks a JSON entry that is not an object. */
export const NOT_AN_OBJECT = '\u0000not-an-object';

export async function readSheet(format: FileFormat, bytes: Buffer): Promise<Sheet> {
  if (bytes.length === 0) throw new UnreadableFileError('the file is empty');
  switch (format) {
    case 'CSV':
      return readCsv(bytes);
    case 'XLSX':
      return readXlsx(bytes);
    case 'JSON':
      return readJson(bytes);
  }
}

/** A value of an exported row: text, a flag, or the tags. */
export type ExportValue = string | boolean | string[] | null;

/**
 * A CSV cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets
 * a leading apostrophe, so an exported file cannot carry a formula injection into whoever opens it. Plain numbers
 * stay as they are: an E.164 phone (`+34912345678`) or a negative amount is data, not a formula.
 */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
}

/** Writes rows (values in the order of `fields`) as a file of the format, with the fields' column names as headers. */
export async function writeSheet(format: FileFormat, fields: readonly ContactField[], rows: readonly ExportValue[][]): Promise<Buffer> {
  const headers = fields.map((f) => FIELD_COLUMNS[f]);
  const flat = (v: ExportValue) => (Array.isArray(v) ? v.join(';') : v === null ? '' : typeof v === 'boolean' ? String(v) : v);
  switch (format) {
    case 'CSV':
      return Buffer.from(stringifyCsv([headers, ...rows.map((r) => r.map((v) => neutraliseFormula(flat(v))))]), 'utf8');
    case 'JSON':
      return Buffer.from(JSON.stringify(rows.map((r) => Object.fromEntries(headers.map((h, i) => [h, r[i] ?? null])))), 'utf8');
    case 'XLSX': {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Contacts');
      sheet.addRow(headers);
      for (const r of rows) sheet.addRow(r.map((v) => (Array.isArray(v) ? v.join(';') : v)));
      return Buffer.from(await workbook.xlsx.writeBuffer());
    }
  }
}
