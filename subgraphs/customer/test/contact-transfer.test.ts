import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, createTokenVerifier, parseSettings, signDevToken, startSubgraph, type Role, type RunningSubgraph } from '@cmp/platform';
import { createTestDatabase, type TestDatabase } from '@cmp/platform/testing';
import { parse as parseCsv } from 'csv-parse/sync';
import { and, eq, isNull, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactExports, contactImports, contacts, outbox } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';
import { workContactImports } from '../src/transfer/jobs.ts';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const logger = createLogger({ name: 'test', level: 'silent' });

let database: TestDatabase;
let server: RunningSubgraph;
let background: { stop(): Promise<void> };
let settings: ReturnType<typeof parseSettings>;

type Who = { roles: Role[]; subject?: string; customerId?: string };
const importer: Who = { roles: ['SalesRep'], subject: 'staff:importer' };
const someoneElse: Who = { roles: ['SalesRep'], subject: 'staff:someone-else' };
const admin: Who = { roles: ['Admin'], subject: 'staff:admin' };

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cmp-contact-transfer-'));
  settings = parseSettings({ CMP_DATA_DIR: dataDir });
  database = await createTestDatabase([customerSubgraph]);
  const db = database.handles.customer!.db;
  server = await startSubgraph({
    definition: customerSubgraph,
    database: database.handles.customer!,
    verifier: await createTokenVerifier(settings),
    logger,
    port: 0,
    host: '127.0.0.1',
  });
  background = await customerSubgraph.start!({ db, settings, logger });
});
afterAll(async () => {
  await background?.stop();
  await server?.close();
  await database?.close();
});

const db = () => database.handles.customer!.db;

async function gql(who: Who, query: string, variables: Record<string, unknown> = {}) {
  const token = await signDevToken(settings, { roles: who.roles, subject: who.subject, customerId: who.customerId, expiresIn: '1h' });
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions: Record<string, unknown> }[] };
}

async function newCustomer(): Promise<{ id: string; customerNumber: string }> {
  const created = await gql(admin, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id customerNumber } }', {
    input: { type: 'SMALL_BUSINESS', companyName: 'Agencia Sol', primaryEmail: `agency.${randomUUID().slice(0, 8)}@example.com` },
  });
  expect(created.errors).toBeUndefined();
  return created.data.createCustomer;
}

const START = `mutation($input: StartContactImportInput!) { startContactImport(input: $input) { id status uploadUrl uploadExpiresAt format } }`;
const IMPORT = `query($id: ID!) { contactImport(id: $id) { id status uploadUrl totalRows processedRows importedRows failedRows progressPercent failure finishedAt errors(first: 500) { row field message } } }`;
const EXPORT = `mutation($input: ExportContactsInput!) { exportContacts(input: $input) { id status totalRows processedRows progressPercent downloadUrl } }`;
const EXPORT_READ = `query($id: ID!) { contactExport(id: $id) { id status totalRows processedRows progressPercent downloadUrl expiresAt failure finishedAt } }`;

async function startImport(format: 'CSV' | 'XLSX' | 'JSON', mapping?: { column: string; field: string }[], who = importer) {
  const started = await gql(who, START, { input: { format, ...(mapping ? { mapping } : {}) } });
  expect(started.errors).toBeUndefined();
  return started.data.startContactImport as { id: string; status: string; uploadUrl: string; uploadExpiresAt: string };
}

const put = (url: string, contentType: string, body: BodyInit) => fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body });

async function liveContactsOf(customerId: string) {
  return db().select().from(contacts).where(and(eq(contacts.customerId, customerId), isNull(contacts.removedAt)));
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, seen: T[] = [], timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    seen.push(value);
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function completedEvents(importId: string) {
  return db()
    .select()
    .from(outbox)
    .where(and(eq(outbox.type, 'cmp.customer.ContactImportCompleted'), eq(outbox.aggregateId, importId)));
}

describe('importing contacts while the upload waits (up to 100 rows)', () => {
  it('imports a CSV file: good rows land, bad rows are reported by row and field, and the link is single-use', async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    const started = await startImport('CSV');
    expect(started.status).toBe('AWAITING_UPLOAD');
    expect(started.uploadUrl).toBe(`${server.url.replace(/\/graphql$/, '').replace(/\/$/, '')}/v1/contact-imports/${started.id}/${started.uploadUrl.split('/').pop()}`);
    expect(new Date(started.uploadExpiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    const stored = await db().select().from(contactImports).where(eq(contactImports.id, started.id));
    expect(stored[0]!.uploadTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(started.uploadUrl).not.toContain(stored[0]!.uploadTokenHash!);

    const csv = [
      'Customer Number,First Name,last_name,EMAIL,phone,Job Title,is primary,tags',
      `${a.customerNumber},Elena,Martín,elena@example.com,+34 912 345 678,CEO,,VIP;Board`,
      `${a.customerNumber},Jorge,Sanz,not-an-email,,,,`,
      `${b.customerNumber.toLowerCase()},Marta,Gil,marta@example.com,,,yes,"travel,VIP"`,
      `CUS-999999,Nadie,Nobody,nadie@example.com,,,,`,
      `${a.customerNumber},Elena,Duplicate,ELENA@example.com,,,,`,
      `${b.customerNumber},Luis,Vidal,luis@example.com,555-1234,,,`,
      `${b.customerNumber},Rosa,Puig,rosa@example.com,,,maybe,`,
      `${b.customerNumber},Pablo,Rey,pablo@example.com,,,,bad tag!`,
      `,Sin,Cliente,sin@example.com,,,,`,
      `${a.customerNumber},Alba,Cruz,alba@example.com,,,true,`,
    ].join('\n');
    const response = await put(started.uploadUrl, 'text/csv; charset=utf-8', csv);
    expect(response.status).toBe(200);
    const summary = await response.json();
    expect(summary).toMatchObject({ id: started.id, status: 'COMPLETED', totalRows: 10, processedRows: 10, importedRows: 3, failedRows: 7, progressPercent: 100 });
    expect(summary.errors).toEqual([
      { row: 2, field: 'email', message: 'email: is not a valid e-mail address' },
      { row: 4, field: 'customerNumber', message: 'customerNumber: no customer has the number CUS-999999' },
      { row: 5, field: 'email', message: expect.stringMatching(/^CONT-002: /) },
      { row: 6, field: 'phone', message: expect.stringMatching(/^phone: /) },
      { row: 7, field: 'isPrimary', message: 'isPrimary: "maybe" is not true or false' },
      { row: 8, field: 'tags', message: expect.stringMatching(/^tags: /) },
      { row: 9, field: 'customerNumber', message: 'customerNumber: is required' },
    ]);

    const ofA = await liveContactsOf(a.id);
    expect(ofA.map((c) => [c.email, c.isPrimary]).sort()).toEqual([
      ['alba@example.com', true],
      ['elena@example.com', false],
    ]);
    expect(ofA.find((c) => c.email === 'elena@example.com')).toMatchObject({ phone: '+34912345678', jobTitle: 'CEO', tags: ['vip', 'board'], createdBy: importer.subject! });
    const ofB = await liveContactsOf(b.id);
    expect(ofB.map((c) => [c.email, c.isPrimary, c.tags])).toEqual([['marta@example.com', true, ['travel', 'vip']]]);

    expect((await put(started.uploadUrl, 'text/csv', csv)).status).toBe(409);
    const read = await gql(importer, IMPORT, { id: started.id });
    expect(read.data.contactImport).toMatchObject({ status: 'COMPLETED', uploadUrl: null, importedRows: 3, failedRows: 7, progressPercent: 100 });
    expect(read.data.contactImport.errors).toHaveLength(7);
    const [event] = await completedEvents(started.id);
    expect(event!.data).toMatchObject({ importId: started.id, status: 'COMPLETED', totalRows: 10, importedRows: 3, failedRows: 7 });
  });

  it('imports an XLSX file with a mapping of its own headers (first worksheet, first row)', async () => {
    const a = await newCustomer();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Contactos');
    sheet.addRow(['Cliente', 'Nombre', 'Apellido', 'Correo', 'Etiquetas', 'Ignored']);
    sheet.addRow([a.id, 'Inés', 'Moreno', { text: 'ines@example.com', hyperlink: 'mailto:ines@example.com' }, 'ops, Night-Shift', 'x']);
    sheet.addRow([a.id, 'Raúl', '', 'raul@example.com', '', 'y']);
    sheet.addRow(['not-a-uuid', 'Sara', 'Lin', 'sara@example.com', '', 'z']);
    sheet.addRow([a.id, 'Tomás', 'Ortega', 'tomas@example.com', 'crew', '']);
    workbook.addWorksheet('Second').addRow(['ignored']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const started = await startImport('XLSX', [
      { column: 'Cliente', field: 'CUSTOMER_ID' },
      { column: 'Nombre', field: 'FIRST_NAME' },
      { column: 'Apellido', field: 'LAST_NAME' },
      { column: 'Correo', field: 'EMAIL' },
      { column: 'Etiquetas', field: 'TAGS' },
    ]);
    expect((await put(started.uploadUrl, 'text/csv', bytes)).status).toBe(415);
    const response = await put(started.uploadUrl, XLSX_TYPE, bytes);
    expect(response.status).toBe(200);
    const summary = await response.json();
    expect(summary).toMatchObject({ status: 'COMPLETED', totalRows: 4, importedRows: 2, failedRows: 2 });
    expect(summary.errors).toEqual([
      { row: 2, field: 'lastName', message: 'lastName: is required' },
      { row: 3, field: 'customerId', message: 'customerId: must be a UUID' },
    ]);
    const live = await liveContactsOf(a.id);
    expect(live.map((c) => [c.email, c.tags, c.isPrimary]).sort()).toEqual([
      ['ines@example.com', ['ops', 'night-shift'], true],
      ['tomas@example.com', ['crew'], false],
    ]);
  });

  it('imports a JSON array of objects; an entry that is not an object is a bad row', async () => {
    const a = await newCustomer();
    const started = await startImport('JSON');
    const body = JSON.stringify([
      { customerNumber: a.customerNumber, firstName: 'Olga', lastName: 'Vega', email: 'olga@example.com', tags: ['Sales', 'sales'], isPrimary: true },
      'not an object',
      { customerNumber: a.customerNumber, firstName: 'Iván', lastName: 'Paz', email: 'ivan@example.com', phone: '(555) 123-4567' },
      { customer_number: a.customerNumber, first_name: 'Eva', last_name: 'Sol', email: 'eva@example.com', job_title: 'Buyer' },
    ]);
    const response = await put(started.uploadUrl, 'application/json', body);
    expect(response.status).toBe(200);
    const summary = await response.json();
    expect(summary).toMatchObject({ status: 'COMPLETED', totalRows: 4, importedRows: 2, failedRows: 2 });
    expect(summary.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [2, 'row'],
      [3, 'phone'],
    ]);
    const live = await liveContactsOf(a.id);
    expect(live.map((c) => [c.email, c.tags, c.jobTitle]).sort()).toEqual([
      ['eva@example.com', [], 'Buyer'],
      ['olga@example.com', ['sales'], null],
    ]);
  });

  it('fails an unreadable file or one without the needed columns with the reason, not an error page', async () => {
    const brokenJson = await startImport('JSON');
    const json = await put(brokenJson.uploadUrl, 'application/json', '{"not": "an array"');
    expect(json.status).toBe(422);
    expect(await json.json()).toMatchObject({ status: 'FAILED', failure: expect.stringContaining('JSON'), importedRows: 0 });

    const notXlsx = await startImport('XLSX');
    const xlsx = await put(notXlsx.uploadUrl, XLSX_TYPE, 'this is not a spreadsheet');
    expect(xlsx.status).toBe(422);
    expect((await xlsx.json()).failure).toMatch(/XLSX/);

    const quote = await startImport('CSV');
    const csv = await put(quote.uploadUrl, 'text/csv', 'customerNumber,firstName,lastName,email\n"CUS-1,Ana');
    expect((await csv.json()).failure).toMatch(/CSV/);

    const columns = await startImport('CSV');
    const missing = await put(columns.uploadUrl, 'text/csv', 'customerNumber,firstName,lastName\nCUS-000001,Ana,Gil');
    expect(await missing.json()).toMatchObject({ status: 'FAILED', failure: expect.stringContaining('EMAIL') });
    const read = await gql(importer, IMPORT, { id: columns.id });
    expect(read.data.contactImport).toMatchObject({ status: 'FAILED', progressPercent: 100 });
    expect((await completedEvents(columns.id))[0]!.data).toMatchObject({ status: 'FAILED' });
  });

  it('refuses a mapping without the required fields or with a field twice, naming the mapping', async () => {
    const twice = await gql(importer, START, {
      input: { format: 'CSV', mapping: [{ column: 'a', field: 'EMAIL' }, { column: 'b', field: 'EMAIL' }] },
    });
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping' });
    const partial = await gql(importer, START, { input: { format: 'CSV', mapping: [{ column: 'mail', field: 'EMAIL' }] } });
    expect(partial.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping' });
    expect(partial.errors?.[0]?.message).toContain('FIRST_NAME');
    expect((await gql({ roles: ['Viewer'] }, START, { input: { format: 'CSV' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('the upload link', () => {
  it('refuses a wrong token, an expired link, and a file over 10 MB while streaming', async () => {
    const started = await startImport('CSV');
    const wrong = started.uploadUrl.replace(/\/[^/]+$/, '/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await put(wrong, 'text/csv', 'a,b\n1,2')).status).toBe(403);

    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 'a');
    const declared = await put(started.uploadUrl, 'text/csv', big);
    expect(declared.status).toBe(413);
    // Without a length up front, the body is counted as it streams and refused past the limit.
    const chunk = Buffer.alloc(1024 * 1024, 'b');
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= 12) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(started.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const [row] = await db().select().from(contactImports).where(eq(contactImports.id, started.id));
    expect(row).toMatchObject({ status: 'AWAITING_UPLOAD', file: null });

    await db().update(contactImports).set({ uploadExpiresAt: new Date(Date.now() - 1000) }).where(eq(contactImports.id, started.id));
    expect((await put(started.uploadUrl, 'text/csv', 'a,b\n1,2')).status).toBe(403);
  });

  it('fails a file of more than 10,000 data rows as a whole', async () => {
    const started = await startImport('CSV');
    const rows = Array.from({ length: 10_001 }, (_, i) => `CUS-000001,A,B,a${i}@example.com`);
    const response = await put(started.uploadUrl, 'text/csv', ['customerNumber,firstName,lastName,email', ...rows].join('\n'));
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ status: 'FAILED', importedRows: 0, failure: expect.stringContaining('10000') });
  });

  it('shows an import only to who started it, or an Admin', async () => {
    const started = await startImport('CSV');
    expect((await gql(someoneElse, IMPORT, { id: started.id })).data.contactImport).toBeNull();
    expect((await gql(importer, IMPORT, { id: started.id })).data.contactImport).toMatchObject({ id: started.id, status: 'AWAITING_UPLOAD', uploadUrl: null });
    expect((await gql(admin, IMPORT, { id: started.id })).data.contactImport.id).toBe(started.id);
  });
});

describe('importing in the background (more than 100 rows)', () => {
  it('queues the file, works it in chunks with progress, and records ContactImportCompleted', { timeout: 120_000 }, async () => {
    const owners = await Promise.all(Array.from({ length: 10 }, () => newCustomer()));
    const lines = Array.from({ length: 450 }, (_, i) => {
      const owner = owners[i % owners.length]!;
      const email = i % 25 === 3 ? 'broken' : `bulk${i}@example.com`;
      return `${owner.customerNumber},Name${i},Surname${i},${email}`;
    });
    const started = await startImport('CSV');
    const response = await put(started.uploadUrl, 'text/csv', ['customerNumber,firstName,lastName,email', ...lines].join('\n'));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'QUEUED', totalRows: 450, processedRows: 0, progressPercent: 0 });

    const seen: any[] = [];
    const done = await waitFor(
      async () => (await gql(importer, IMPORT, { id: started.id })).data.contactImport,
      (i) => i.status === 'COMPLETED',
      seen,
    );
    expect(done).toMatchObject({ totalRows: 450, processedRows: 450, importedRows: 432, failedRows: 18, progressPercent: 100 });
    expect(done.errors.map((e: { row: number }) => e.row)).toEqual(Array.from({ length: 18 }, (_, k) => k * 25 + 4));
    const percents = seen.map((i) => i.progressPercent);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    // Progress is recorded chunk by chunk (every 200 rows, and the rest) while the job runs.
    const midway = seen.filter((i) => i.status === 'RUNNING' && i.processedRows > 0);
    expect(midway.length).toBeGreaterThan(0);
    expect(midway.every((i) => [200, 400, 450].includes(i.processedRows) && i.progressPercent === Math.floor((i.processedRows * 100) / 450))).toBe(true);
    const total = (await Promise.all(owners.map((o) => liveContactsOf(o.id)))).reduce((n, list) => n + list.length, 0);
    expect(total).toBe(432);
    const events = await completedEvents(started.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({
      importId: started.id,
      status: 'COMPLETED',
      totalRows: 450,
      importedRows: 432,
      failedRows: 18,
      failure: null,
      startedBy: importer.subject,
    });
  });

  it('takes over a job whose worker stopped, resuming after its last recorded chunk, and never works one job twice', async () => {
    const owner = await newCustomer();
    const header = 'customerNumber,firstName,lastName,email';
    const lines = Array.from({ length: 40 }, (_, i) => `${owner.customerNumber},N${i},S${i},taken${i}@example.com`);
    const file = Buffer.from([header, ...lines].join('\n'));
    // A worker that crashed after recording the first 10 rows (which it had imported) and whose lease ran out.
    const [job] = await db()
      .insert(contactImports)
      .values({
        format: 'CSV',
        mapping: {},
        status: 'RUNNING',
        file,
        fileBytes: file.length,
        totalRows: 40,
        processedRows: 10,
        importedRows: 10,
        leaseUntil: new Date(Date.now() - 1000),
        createdBy: importer.subject!,
      })
      .returning();
    await db().insert(contacts).values(
      lines.slice(0, 10).map((_, i) => ({ customerId: owner.id, firstName: `N${i}`, lastName: `S${i}`, email: `taken${i}@example.com`, isPrimary: i === 0, createdBy: importer.subject! })),
    );
    await Promise.all([workContactImports(db(), logger), workContactImports(db(), logger), workContactImports(db(), logger)]);
    const done = await waitFor(
      async () => (await db().select().from(contactImports).where(eq(contactImports.id, job!.id)))[0]!,
      (row) => row.status === 'COMPLETED',
    );
    expect(done).toMatchObject({ processedRows: 40, importedRows: 40, failedRows: 0, errors: [] });
    expect(await liveContactsOf(owner.id)).toHaveLength(40);
    expect(await completedEvents(job!.id)).toHaveLength(1);
  });
});

describe('exporting contacts', () => {
  async function seedContacts() {
    const a = await newCustomer();
    const b = await newCustomer();
    const add = async (customerId: string, email: string, extra: Record<string, unknown> = {}) => {
      const r = await gql(importer, 'mutation($c: ID!, $i: ContactInput!) { addContact(customerId: $c, input: $i) { id } }', {
        c: customerId,
        i: { firstName: 'Nuria', lastName: 'Blanco', email, ...extra },
      });
      expect(r.errors).toBeUndefined();
    };
    await add(a.id, `n1.${a.id.slice(0, 6)}@example.com`, { phone: '+34 912 345 678', tags: ['export-me', 'vip'] });
    await add(a.id, `n2.${a.id.slice(0, 6)}@example.com`, { jobTitle: 'Buyer, senior' });
    await add(b.id, `n3.${b.id.slice(0, 6)}@example.com`, { tags: ['Export-Me'] });
    return { a, b };
  }

  async function finishedExport(who: Who, input: Record<string, unknown>) {
    const started = await gql(who, EXPORT, { input });
    expect(started.errors).toBeUndefined();
    expect(started.data.exportContacts).toMatchObject({ status: 'QUEUED', downloadUrl: null });
    const id = started.data.exportContacts.id as string;
    const done = await waitFor(async () => (await gql(who, EXPORT_READ, { id })).data.contactExport, (e) => e.status === 'COMPLETED' || e.status === 'FAILED');
    expect(done).toMatchObject({ status: 'COMPLETED', progressPercent: 100, failure: null });
    return done as { id: string; downloadUrl: string; expiresAt: string; totalRows: number; processedRows: number };
  }

  it('produces a CSV of the chosen fields, served with its type, a file name and nosniff, valid 24 hours', async () => {
    const { a, b } = await seedContacts();
    const done = await finishedExport(importer, { format: 'CSV', customerIds: [a.id, b.id], fields: ['CUSTOMER_NUMBER', 'EMAIL', 'JOB_TITLE', 'TAGS', 'IS_PRIMARY'] });
    expect(done).toMatchObject({ totalRows: 3, processedRows: 3 });
    expect(new Date(done.expiresAt).getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(done.downloadUrl).toMatch(new RegExp(`/v1/contact-exports/${done.id}/[A-Za-z0-9_-]{43}$`));
    const response = await fetch(done.downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="contacts-${done.id}.csv"`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const rows = parseCsv(await response.text(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['customerNumber', 'email', 'jobTitle', 'tags', 'isPrimary']);
    expect(rows).toEqual([
      { customerNumber: a.customerNumber, email: `n1.${a.id.slice(0, 6)}@example.com`, jobTitle: '', tags: 'export-me;vip', isPrimary: 'true' },
      { customerNumber: a.customerNumber, email: `n2.${a.id.slice(0, 6)}@example.com`, jobTitle: 'Buyer, senior', tags: '', isPrimary: 'false' },
      { customerNumber: b.customerNumber, email: `n3.${b.id.slice(0, 6)}@example.com`, jobTitle: '', tags: 'export-me', isPrimary: 'true' },
    ]);
    // Only who started it (or an Admin) sees it and its link.
    expect((await gql(someoneElse, EXPORT_READ, { id: done.id })).data.contactExport).toBeNull();
    expect((await gql(admin, EXPORT_READ, { id: done.id })).data.contactExport.downloadUrl).toBe(done.downloadUrl);
    expect((await fetch(done.downloadUrl.replace(/[^/]+$/, 'A'.repeat(43)))).status).toBe(403);
  });

  it('produces XLSX and JSON files that read back, filtered by tag across customers', async () => {
    const { a, b } = await seedContacts();
    const tag = `t${randomUUID().slice(0, 8)}`;
    const tagged = await db().select().from(contacts).where(sql`${contacts.customerId} in (${a.id}, ${b.id}) and ${contacts.tags} @> array['export-me']::text[]`);
    for (const c of tagged) {
      const r = await gql(importer, 'mutation($id: ID!, $tags: [String!]!) { tagContact(id: $id, tags: $tags) { id } }', { id: c.id, tags: [tag.toUpperCase()] });
      expect(r.errors).toBeUndefined();
    }

    const xlsx = await finishedExport(importer, { format: 'XLSX', tags: [tag.toUpperCase()] });
    const xlsxResponse = await fetch(xlsx.downloadUrl);
    expect(xlsxResponse.headers.get('content-type')).toBe(XLSX_TYPE);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await xlsxResponse.arrayBuffer()) as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['customerNumber', 'customerId', 'firstName', 'lastName', 'email', 'phone', 'jobTitle', 'isPrimary', 'tags']);
    expect(sheet.actualRowCount).toBe(3);
    expect((sheet.getRow(2).values as unknown[]).slice(1)).toEqual([a.customerNumber, a.id, 'Nuria', 'Blanco', `n1.${a.id.slice(0, 6)}@example.com`, '+34912345678', undefined, true, `export-me;vip;${tag}`]);

    const json = await finishedExport(importer, { format: 'JSON', customerIds: [b.id], tags: [tag], fields: ['EMAIL', 'TAGS', 'IS_PRIMARY'] });
    const jsonResponse = await fetch(json.downloadUrl);
    expect(jsonResponse.headers.get('content-type')).toContain('application/json');
    expect(await jsonResponse.json()).toEqual([{ email: `n3.${b.id.slice(0, 6)}@example.com`, tags: ['export-me', tag], isPrimary: true }]);
  });

  it('expires the link after 24 hours', async () => {
    const { a } = await seedContacts();
    const done = await finishedExport(importer, { format: 'CSV', customerIds: [a.id] });
    await db().update(contactExports).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(contactExports.id, done.id));
    expect((await fetch(done.downloadUrl)).status).toBe(410);
    expect((await gql(importer, EXPORT_READ, { id: done.id })).data.contactExport.downloadUrl).toBeNull();
  });

  it('needs a filter, confines a Customer token to its own contacts, and refuses more than 50,000 rows', async () => {
    const { a, b } = await seedContacts();
    expect((await gql(importer, EXPORT, { input: { format: 'CSV' } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerIds' });
    expect((await gql(importer, EXPORT, { input: { format: 'CSV', tags: ['no good'] } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tags' });
    const me: Who = { roles: ['Customer'], customerId: a.id, subject: `customer:${a.id}` };
    expect((await gql(me, EXPORT, { input: { format: 'CSV', customerIds: [b.id] } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(me, EXPORT, { input: { format: 'CSV', tags: ['export-me'] } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await finishedExport(me, { format: 'JSON', customerIds: [a.id], fields: ['EMAIL'] });
    expect((await (await fetch(own.downloadUrl)).json()).map((r: { email: string }) => r.email).sort()).toEqual([
      `n1.${a.id.slice(0, 6)}@example.com`,
      `n2.${a.id.slice(0, 6)}@example.com`,
    ]);

    const bulk = await newCustomer();
    await db().execute(sql`
      insert into customer.contacts (customer_id, first_name, last_name, email, tags, created_by)
      select ${bulk.id}::uuid, 'Bulk', 'Row', 'bulk' || n || '@example.com', array['bulk-export'], 'test'
      from generate_series(1, 50001) as n`);
    const refused = await gql(importer, EXPORT, { input: { format: 'CSV', tags: ['bulk-export'] } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(refused.errors?.[0]?.message).toContain('50000');
    // Data that grew past the limit after the export was started fails it with the reason.
    const [late] = await db()
      .insert(contactExports)
      .values({ format: 'CSV', tags: ['bulk-export'], fields: ['EMAIL'], status: 'QUEUED', createdBy: importer.subject! })
      .returning();
    const failed = await waitFor(async () => (await gql(importer, EXPORT_READ, { id: late!.id })).data.contactExport, (e) => e.status !== 'QUEUED' && e.status !== 'RUNNING');
    expect(failed).toMatchObject({ status: 'FAILED', downloadUrl: null, failure: expect.stringContaining('50000') });
    await db().delete(contacts).where(eq(contacts.customerId, bulk.id));
  });
});
