import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import {
  ROLES,
  createLogger,
  createSubgraphApollo,
  loadOrCreateDataKeyFile,
  openDatabase,
  prepareDatabase,
  resultRows,
  type Caller,
  type DataKeyRing,
  type Role,
  type SubgraphContext,
} from '@cmp/platform';
import { callerWith, contextFor, execute, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, customers } from '../src/db/schema.ts';
import { passportLookupHash } from '../src/domain/sensitive.ts';
import { bindDataKeys, countSealedValuesByKey, customerSubgraph, rehashPassportLookups, sealCustomerRows } from '../src/index.ts';
import { uniqueEmail } from './factories.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

const key1 = randomBytes(32);
const key2 = randomBytes(32);
const lookupKey = randomBytes(32);
const ring = (active: string, keys: Record<string, Buffer>): DataKeyRing => ({ activeKeyId: active, keys: new Map(Object.entries(keys)), lookupKey });

const PERSON = {
  street: 'Calle de Serrano 45',
  city: 'Getafe',
  zipCode: '28901',
  shippingStreet: 'Avenida de España 3',
  // Not a Spanish postal code: the address warning quotes it to those who may see it.
  shippingZip: '2890',
  dateOfBirth: '1982-04-17',
  passport: 'PAB123456',
};

const FIELDS = /* GraphQL */ `
  id maskedFields dateOfBirth
  billingAddress { street city state zipCode country }
  shippingAddress { street city state zipCode country }
  passport { number country expiresOn }
  addressWarnings { field message }
`;
const CREATE = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ${FIELDS} } }`;
const READ = `query($id: ID!) { customer(id: $id) { ${FIELDS} } }`;
const BY_PASSPORT = `query($n: String!) { customerByPassport(passportNumber: $n) { id customerNumber passport { number } } }`;

let h: SubgraphHarness;
const officer = callerWith('DataPrivacyOfficer', { subject: 'dpo-1', mfa: true });
const admin = callerWith('Admin', { subject: 'admin-mfa', mfa: true });

function person(overrides: Record<string, unknown> = {}) {
  return {
    type: 'INDIVIDUAL',
    firstName: 'Carmen',
    lastName: 'Ortega',
    primaryEmail: uniqueEmail('carmen'),
    billingAddress: { street: PERSON.street, city: PERSON.city, zipCode: PERSON.zipCode, country: 'ES' },
    shippingAddress: { street: PERSON.shippingStreet, city: PERSON.city, zipCode: PERSON.shippingZip, country: 'ES' },
    dateOfBirth: PERSON.dateOfBirth,
    passport: { number: PERSON.passport, country: 'ES', expiresOn: '2031-06-30' },
    ...overrides,
  };
}

async function created(overrides: Record<string, unknown> = {}): Promise<string> {
  const result = await h.run(admin, CREATE, { input: person(overrides) });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data.createCustomer.id;
}

async function rawRow(id: string): Promise<string> {
  const [row] = resultRows<{ json: string }>(await h.handle.db.execute(sql`select row_to_json(c)::text as json from customer.customers c where id = ${id}`));
  return row!.json;
}

const sealedOf = async (id: string) => (await h.handle.db.select().from(customers).where(eq(customers.id, id)))[0]!;

const sensitiveReads = (subject: string, customerId: string) =>
  h.handle.db
    .select({ fields: auditLog.fields })
    .from(auditLog)
    .where(and(eq(auditLog.subject, subject), eq(auditLog.action, 'sensitive-read'), sql`${customerId} = any(${auditLog.customerIds})`));

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
  await bindDataKeys(h.handle.db, ring('k1', { k1: key1 }));
});
afterAll(() => h?.close());

describe('sensitive fields at rest', () => {
  it('stores the addresses, date of birth and passport number only sealed, bound to the row, with a keyed passport hash', async () => {
    const id = await created();
    const raw = await rawRow(id);
    for (const value of [PERSON.street, PERSON.city, PERSON.zipCode, PERSON.shippingStreet, PERSON.dateOfBirth, PERSON.passport, '3456']) {
      expect(raw).not.toContain(value);
    }
    const row = await sealedOf(id);
    for (const sealed of [row.billingAddressEnc, row.shippingAddressEnc, row.dateOfBirthEnc, row.passportNumberEnc]) {
      expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    }
    expect(row.passportNumberHash).toBe(passportLookupHash(ring('k1', { k1: key1 }), PERSON.passport));
    // Countries stay in clear (postal-code validation, country aggregates); the pre-encryption columns stay empty.
    expect(row).toMatchObject({ billingCountry: 'ES', shippingCountry: 'ES', legacyBillingStreet: null, legacyPassportNumber: null, legacyDateOfBirth: null });
    expect(row.searchText).not.toMatch(/serrano|getafe|28901|pab123456/);
  });

  it('refuses a sealed value copied into another customer\'s row, without showing either value', async () => {
    const a = await created({ passport: { number: 'ZX9876543' } });
    const b = await created();
    const original = (await sealedOf(b)).passportNumberEnc;
    await h.handle.db.update(customers).set({ passportNumberEnc: (await sealedOf(a)).passportNumberEnc }).where(eq(customers.id, b));
    try {
      const result = await h.run(officer, READ, { id: b });
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(result)).not.toMatch(/ZX9876543|PAB123456|failed authentication/);
    } finally {
      await h.handle.db.update(customers).set({ passportNumberEnc: original }).where(eq(customers.id, b));
    }
    expect((await h.run(officer, READ, { id: b })).data.customer.passport.number).toBe(PERSON.passport);
  });
});

describe('masking: every role, with and without MFA', () => {
  let id: string;
  beforeAll(async () => {
    id = await created();
  });

  // DOMAIN.md: sensitive fields are masked unless the caller holds sensitive-read (DataPrivacyOfficer; Admin holds
  // every privilege), which needs MFA; a Customer sees its own record in full.
  const CLEAR_WITH_MFA: Role[] = ['Admin', 'DataPrivacyOfficer'];
  const NO_CUSTOMER_READ: Role[] = ['DataAnalyst', 'LoungeDevice'];
  const cases = ROLES.flatMap((role) => [false, true].map((mfa) => ({ role, mfa })));

  it.each(cases)('$role (mfa: $mfa)', async ({ role, mfa }) => {
    const subject = `matrix:${role}:${mfa}`;
    const caller: Caller = callerWith(role, {
      subject,
      mfa,
      ...(role === 'Customer' ? { customerId: id } : {}),
      ...(role === 'LoungeDevice' ? { loungeCode: 'MAD-DALI' } : {}),
    });
    const result = await h.run(caller, READ, { id });
    if (NO_CUSTOMER_READ.includes(role)) {
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(JSON.stringify(result)).not.toMatch(/Serrano|28901|PAB123456|1982/);
      return;
    }
    expect(result.errors).toBeUndefined();
    const customer = result.data.customer;
    const clear = role === 'Customer' || (mfa && CLEAR_WITH_MFA.includes(role));
    if (clear) {
      expect(customer).toMatchObject({
        maskedFields: [],
        dateOfBirth: PERSON.dateOfBirth,
        billingAddress: { street: PERSON.street, city: PERSON.city, state: null, zipCode: PERSON.zipCode, country: 'ES' },
        shippingAddress: { street: PERSON.shippingStreet, zipCode: PERSON.shippingZip },
        passport: { number: PERSON.passport, country: 'ES', expiresOn: '2031-06-30' },
        addressWarnings: [{ field: 'shippingAddress.zipCode', message: `"${PERSON.shippingZip}" does not look like a postal code of Spain` }],
      });
      const [audit] = await sensitiveReads(subject, id);
      expect(audit?.fields.sort()).toEqual(['billingAddress', 'dateOfBirth', 'passport.number', 'shippingAddress']);
    } else {
      expect(customer).toEqual({
        id,
        maskedFields: ['billingAddress', 'dateOfBirth', 'passport.number', 'shippingAddress'],
        dateOfBirth: null,
        billingAddress: { street: '*****', city: PERSON.city, state: null, zipCode: '28***', country: 'ES' },
        shippingAddress: { street: '*****', city: PERSON.city, state: null, zipCode: '28***', country: 'ES' },
        passport: { number: '*****3456', country: 'ES', expiresOn: '2031-06-30' },
        addressWarnings: [{ field: 'shippingAddress.zipCode', message: 'The postal code does not look like a postal code of Spain' }],
      });
      expect(await sensitiveReads(subject, id)).toEqual([]);
    }
  });

  it('masks a short passport number whole', async () => {
    const short = await created({ passport: { number: 'X1234' } });
    const result = await h.run(callerWith('Viewer'), READ, { id: short });
    expect(result.data.customer.passport.number).toBe('*****');
  });
});

describe('customerByPassport', () => {
  it('finds live customers by the keyed hash of the normalised number, for sensitive-read with MFA only', async () => {
    const number = `PZ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const first = await created({ passport: { number } });
    const second = await created({ passport: { number } });
    const typed = `${number.slice(0, 3).toLowerCase()}-${number.slice(3, 6)} ${number.slice(6)}`;
    const found = await h.run(officer, BY_PASSPORT, { n: typed });
    expect(found.errors).toBeUndefined();
    expect(found.data.customerByPassport.map((c: { id: string }) => c.id).sort()).toEqual([first, second].sort());
    expect(found.data.customerByPassport[0].passport.number).toBe(number);
    expect((await sensitiveReads('dpo-1', first)).flatMap((r) => r.fields)).toContain('passport.number');
    expect((await h.run(officer, BY_PASSPORT, { n: 'QQ0000000' })).data.customerByPassport).toEqual([]);

    const withoutMfa = await h.run(callerWith('DataPrivacyOfficer'), BY_PASSPORT, { n: number });
    expect(withoutMfa.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(withoutMfa.errors?.[0]?.message).toMatch(/multi-factor/);
    expect((await h.run(callerWith('Viewer'), BY_PASSPORT, { n: number })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(callerWith('Customer', { customerId: first }), BY_PASSPORT, { n: number })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await h.run(officer, BY_PASSPORT, { n: 'A1' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'passportNumber' });
  });
});

describe('plaintext left by an earlier release', () => {
  it('is sealed and nulled by the sealing step, once, and then reads and is found as before', async () => {
    const [legacy] = await h.handle.db
      .insert(customers)
      .values({
        customerNumber: `CUS-L${Date.now()}`,
        type: 'INDIVIDUAL',
        firstName: 'Old',
        lastName: 'Release',
        primaryEmail: uniqueEmail('old'),
        createdBy: 'earlier-release',
        legacyBillingStreet: 'Calle Mayor 1',
        legacyBillingCity: 'Toledo',
        legacyBillingZipCode: '45001',
        billingCountry: 'ES',
        legacyDateOfBirth: '1970-01-02',
        legacyPassportNumber: 'LG7654321',
      })
      .returning();
    const first = await sealCustomerRows(h.handle.db, ring('k1', { k1: key1 }), { legacyOnly: true });
    expect(first.done).toBeGreaterThanOrEqual(1);
    const raw = await rawRow(legacy!.id);
    expect(raw).not.toMatch(/Calle Mayor|Toledo|45001|1970-01-02|LG7654321/);
    expect((await h.run(officer, READ, { id: legacy!.id })).data.customer).toMatchObject({
      dateOfBirth: '1970-01-02',
      billingAddress: { street: 'Calle Mayor 1', city: 'Toledo', zipCode: '45001', country: 'ES' },
      shippingAddress: null,
      passport: { number: 'LG7654321' },
    });
    expect((await h.run(officer, BY_PASSPORT, { n: 'lg7654321' })).data.customerByPassport.map((c: { id: string }) => c.id)).toEqual([legacy!.id]);
    expect((await sealCustomerRows(h.handle.db, ring('k1', { k1: key1 }), { legacyOnly: true })).done).toBe(0);
  });
});

describe('key rotation', () => {
  it('writes under the new key, still reads the old one, re-encrypts every row in batches, and then the old key can go', async () => {
    const before = await created();
    await bindDataKeys(h.handle.db, ring('k2', { k1: key1, k2: key2 }));
    const after = await created();
    expect((await sealedOf(after)).passportNumberEnc).toMatch(/^v1\.k2\./);
    expect((await sealedOf(before)).passportNumberEnc).toMatch(/^v1\.k1\./);
    expect((await h.run(officer, READ, { id: before })).data.customer.passport.number).toBe(PERSON.passport);

    // A change under the new key reseals only what changed.
    await h.run(admin, `mutation($id: ID!) { updateCustomer(id: $id, input: { dateOfBirth: "1983-05-06" }) { id } }`, { id: before });
    const partly = await sealedOf(before);
    expect(partly.dateOfBirthEnc).toMatch(/^v1\.k2\./);
    expect(partly.billingAddressEnc).toMatch(/^v1\.k1\./);

    expect((await countSealedValuesByKey(h.handle.db)).get('k1')).toBeGreaterThan(0);
    const progress: number[] = [];
    const result = await sealCustomerRows(h.handle.db, ring('k2', { k1: key1, k2: key2 }), {
      batchSize: 2,
      onProgress: ({ done }) => progress.push(done),
    });
    expect(result.done).toBe(result.total);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect([...(await countSealedValuesByKey(h.handle.db)).keys()]).toEqual(['k2']);
    expect((await sealCustomerRows(h.handle.db, ring('k2', { k1: key1, k2: key2 }))).done).toBe(0);

    // Only k2 left: every customer still reads in clear and is still found by passport.
    await bindDataKeys(h.handle.db, ring('k2', { k2: key2 }));
    const read = await h.run(officer, READ, { id: before });
    expect(read.errors).toBeUndefined();
    expect(read.data.customer).toMatchObject({ dateOfBirth: '1983-05-06', billingAddress: { street: PERSON.street }, passport: { number: PERSON.passport } });
    const found = await h.run(officer, BY_PASSPORT, { n: PERSON.passport });
    expect(found.data.customerByPassport.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([before, after]));
  });
});

describe('lookup key rotation', () => {
  it('hashes new numbers with the new lookup key, still finds the old hashes, rehashes them in batches, and then finds them with the new key alone', async () => {
    const lookup2 = randomBytes(32);
    const number = `LK${randomBytes(4).toString('hex').toUpperCase()}`;
    const keys = { k2: key2 };
    const before = await created({ passport: { number, country: 'ES', expiresOn: '2031-06-30' } });
    const ids = (r: { data?: { customerByPassport: { id: string }[] } | null }) => r.data!.customerByPassport.map((c) => c.id).sort();

    const rotated: DataKeyRing = { ...ring('k2', keys), lookupKey: lookup2, previousLookupKeys: [lookupKey] };
    await bindDataKeys(h.handle.db, rotated);
    const after = await created({ passport: { number, country: 'ES', expiresOn: '2031-06-30' } });
    expect((await sealedOf(after)).passportNumberHash).toBe(passportLookupHash(rotated, number));
    expect((await sealedOf(before)).passportNumberHash).not.toBe(passportLookupHash(rotated, number));
    // Both are found while the previous key is kept.
    expect(ids(await h.run(officer, BY_PASSPORT, { n: number }))).toEqual([before, after].sort());
    // Without it, the old hash is not found: this is what the rehash is for.
    await bindDataKeys(h.handle.db, { ...rotated, previousLookupKeys: [] });
    expect(ids(await h.run(officer, BY_PASSPORT, { n: number }))).toEqual([after]);

    const dryRun = await rehashPassportLookups(h.handle.db, rotated, { dryRun: true });
    expect(dryRun.stale).toBeGreaterThan(0);
    const progress: number[] = [];
    const result = await rehashPassportLookups(h.handle.db, rotated, { batchSize: 2, onProgress: ({ checked }) => progress.push(checked) });
    expect(result).toEqual({ checked: dryRun.checked, total: dryRun.total, stale: dryRun.stale });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect((await rehashPassportLookups(h.handle.db, rotated, { dryRun: true })).stale).toBe(0);

    await bindDataKeys(h.handle.db, { ...rotated, previousLookupKeys: [] });
    expect(ids(await h.run(officer, BY_PASSPORT, { n: number }))).toEqual([before, after].sort());
    // The rest of the row is untouched: it still reads in clear.
    expect((await h.run(officer, READ, { id: before })).data.customer.passport.number).toBe(number);
  });
});

describe('log redaction', () => {
  function capturedLogger() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    return { logger: createLogger({ name: 'customer', level: 'info', destination }), lines };
  }

  it('a failing request logs its error without the passport number and e-mail its variables carried', async () => {
    const id = await created();
    const row = await sealedOf(id);
    // A damaged ciphertext makes the update fail unexpectedly, after the variables were read.
    const damaged = `${row.billingAddressEnc!.slice(0, -2)}${row.billingAddressEnc!.endsWith('A') ? 'B' : 'A'}A`;
    await h.handle.db.update(customers).set({ billingAddressEnc: damaged }).where(eq(customers.id, id));
    const { logger, lines } = capturedLogger();
    const apollo = createSubgraphApollo(customerSubgraph, logger);
    await apollo.start();
    try {
      const result = await execute(
        apollo as unknown as Parameters<typeof execute>[0],
        contextFor(customerSubgraph, h.handle, admin) as SubgraphContext<unknown>,
        `mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }`,
        { id, input: { passport: { number: 'PQ7777777' }, primaryEmail: 'leak.check@example.com', primaryPhone: '+34 911 222 333' } },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await apollo.stop();
      await h.handle.db.update(customers).set({ billingAddressEnc: row.billingAddressEnc }).where(eq(customers.id, id));
    }
    const errorLines = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0].msg).toBe('unexpected error');
    expect(errorLines[0].err.message).toMatch(/failed authentication.*billing_address_enc/);
    expect(lines.join('\n')).not.toMatch(/PQ7777777|leak\.check|911222333|Serrano/);
  });

  it('a failed statement is logged without its parameters or the values in its message', async () => {
    const [existing] = await h.handle.db.select({ customerNumber: customers.customerNumber }).from(customers).limit(1);
    const error = await h.handle.db
      .insert(customers)
      .values({
        customerNumber: existing!.customerNumber,
        type: 'INDIVIDUAL',
        firstName: 'Dup',
        lastName: 'Licate',
        primaryEmail: 'dup.person@example.com',
        primaryPhone: '+34911222444',
        createdBy: 'spec',
        legacyPassportNumber: 'PQ8888888',
        legacyDateOfBirth: '1955-05-05',
      })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain('PQ8888888');
    const { logger, lines } = capturedLogger();
    logger.error({ err: error, input: { passport: { number: 'PQ8888888' }, email: 'dup.person@example.com' }, token: 'eyJabc.def.ghi' }, 'statement failed');
    logger.warn({ authorization: 'Bearer eyJhbGciOi.xyz.abc', variables: { passportNumber: 'PQ8888888' } }, 'request refused');
    const out = lines.join('\n');
    expect(out).not.toMatch(/PQ8888888|dup\.person|911222444|1955-05-05|eyJ/);
    const logged = JSON.parse(lines[0]!);
    expect(logged.err.message).toMatch(/^Failed query: insert into "customer"\."customers"/);
    expect(logged.err.message).toContain('params: [redacted]');
    expect(logged.err.message).toMatch(/caused by: duplicate key value violates unique constraint "customers_customer_number_key"/);
    expect(logged.err.params).toBe('[redacted]');
  });
});

describe('pnpm data-keys', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-data-keys-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const script = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/data-keys.ts', ...args], {
        cwd: root,
        env: { PATH: process.env.PATH, CMP_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      });
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('seals an embedded database\'s plaintext, rotates, re-encrypts with progress, and retires the old key once unused', async () => {
    // The key file as a first start creates it, and rows as an earlier release left them (plaintext), written while
    // no platform process has the embedded database open.
    const firstKid = (await loadOrCreateDataKeyFile(path.join(dataDir, 'data-keys.json'))).activeKeyId;
    const database = await openDatabase({ schema: 'customer', dataDir });
    await prepareDatabase(customerSubgraph, database);
    await database.db.insert(customers).values(
      Array.from({ length: 5 }, (_, i) => ({
        customerNumber: `CUS-90000${i}`,
        type: 'INDIVIDUAL' as const,
        firstName: 'Old',
        lastName: `Row ${i}`,
        primaryEmail: `old.${i}@example.com`,
        createdBy: 'earlier-release',
        legacyPassportNumber: `OLD00000${i}`,
        legacyDateOfBirth: '1960-01-01',
      })),
    );
    await database.close();

    const sealed = await script('reencrypt', '--batch', '2');
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).toContain('2 / 5 customers');
    expect(sealed.stdout).toContain(`done: 5 customers now sealed under ${firstKid}`);

    const rotated = await script('rotate');
    const secondKid = rotated.stdout.trim();
    expect(secondKid).not.toBe(firstKid);
    expect((await script('retire', firstKid!)).stderr).toMatch(/10 values are still sealed under/);
    expect((await script('reencrypt')).stdout).toContain(`done: 5 customers now sealed under ${secondKid}`);
    expect((await script('status')).stdout).toContain(`${secondKid}  active (encrypts)  10 sealed values`);
    const retired = await script('retire', firstKid!);
    expect(retired.code).toBe(0);
    expect(retired.stdout.trim()).toBe(secondKid);
    expect((await script('retire', secondKid)).stderr).toMatch(/active key and cannot be removed/);

    // The lookup key: a new one, the old hashes kept matched until rehashed, then the old key can go.
    expect((await script('retire-lookup')).stderr).toMatch(/no previous lookup key/);
    expect((await script('rotate-lookup')).stdout).toContain('1 previous still matched');
    expect((await script('status')).stdout).toContain('1 previous still matched');
    expect((await script('retire-lookup')).stderr).toMatch(/5 lookup hashes were made with a previous lookup key: run `pnpm data-keys rehash` first/);
    const rehashed = await script('rehash', '--batch', '2');
    expect(rehashed.stdout).toContain('2 / 5 passport numbers');
    expect(rehashed.stdout).toContain('done: 5 lookup hashes rewritten with the current lookup key, 0 already were');
    const retiredLookup = await script('retire-lookup');
    expect(retiredLookup.code).toBe(0);
    expect(retiredLookup.stdout.trim()).toBe('1 previous lookup keys removed');
    expect((await script('status')).stdout).not.toContain('previous');
  }, 600_000);
});

describe('through the gateway', () => {
  it('a started platform seals with the keys of its data directory, masks for a Viewer and shows the officer', async () => {
    const { startTestPlatform, post, bearer } = await import('../../../test/platform-harness.ts');
    const t = await startTestPlatform();
    try {
      const admin = bearer(await t.token('Admin', { mfa: true }));
      const created = await post(t.url, `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`, { input: person() }, admin);
      expect(created.errors).toBeUndefined();
      const id = created.data.createCustomer.id as string;
      const query = `query($id: ID!) { customer(id: $id) { maskedFields dateOfBirth passport { number } billingAddress { street zipCode } } }`;
      const masked = await post(t.url, query, { id }, bearer(await t.token('Viewer')));
      expect(masked.data.customer).toEqual({
        maskedFields: ['billingAddress', 'dateOfBirth', 'passport.number', 'shippingAddress'],
        dateOfBirth: null,
        passport: { number: '*****3456' },
        billingAddress: { street: '*****', zipCode: '28***' },
      });
      const clear = await post(t.url, query, { id }, bearer(await t.token('DataPrivacyOfficer', { mfa: true })));
      expect(clear.data.customer).toEqual({
        maskedFields: [],
        dateOfBirth: PERSON.dateOfBirth,
        passport: { number: PERSON.passport },
        billingAddress: { street: PERSON.street, zipCode: PERSON.zipCode },
      });
      const own = await post(t.url, query, { id }, bearer(await t.token('Customer', { customerId: id })));
      expect(own.data.customer.passport.number).toBe(PERSON.passport);
      // No keys in settings: the platform made (and used) the key file of its data directory.
      const keyFile = JSON.parse(await readFile(path.join(t.dataDir, 'data-keys.json'), 'utf8')) as { activeKeyId: string; keys: unknown[] };
      const found = await post(t.url, BY_PASSPORT, { n: PERSON.passport.toLowerCase() }, bearer(await t.token('DataPrivacyOfficer', { mfa: true })));
      expect(found.data.customerByPassport.map((c: { id: string }) => c.id)).toContain(id);
      expect(keyFile.keys).toHaveLength(1);
      expect(keyFile.activeKeyId).toMatch(/^k\d{8}-[0-9a-f]{6}$/);
    } finally {
      await t.close();
    }
  }, 300_000);
});
