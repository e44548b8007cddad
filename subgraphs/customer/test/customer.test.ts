import type { Caller } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSubgraph } from '../src/index.ts';
import { outbox } from '../src/db/schema.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      id customerNumber type status segment displayName primaryEmail primaryPhone
      billingAddress { street city state zipCode country }
    }
  }
`;
const READ = /* GraphQL */ `
  query Read($id: ID!) { customer(id: $id) { id customerNumber displayName primaryEmail } }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin');
const run = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => h.run(caller, query, variables);

const individual = (overrides: Record<string, unknown> = {}) => ({
  type: 'INDIVIDUAL',
  firstName: 'Lucía',
  lastName: 'Fernández',
  primaryEmail: `lucia.${Math.random().toString(36).slice(2, 8)}@example.com`,
  primaryPhone: '+34 912 345 678',
  billingAddress: { street: 'Calle de Alcalá 1', city: 'Madrid', zipCode: '28014', country: 'es' },
  ...overrides,
});

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('createCustomer', () => {
  it('creates an individual with a sequential customer number, E.164 phone and normalised country', async () => {
    const first = await run(admin, CREATE, { input: individual() });
    const second = await run(admin, CREATE, { input: individual() });
    expect(first.errors).toBeUndefined();
    const a = first.data.createCustomer;
    const b = second.data.createCustomer;
    expect(a).toMatchObject({
      type: 'INDIVIDUAL',
      status: 'ACTIVE',
      segment: 'STANDARD',
      displayName: 'Lucía Fernández',
      primaryPhone: '+34912345678',
      // Masked: this Admin token has no MFA, so it does not read sensitive fields in clear.
      billingAddress: { street: '*****', city: 'Madrid', state: null, zipCode: '28***', country: 'ES' },
    });
    expect(a.customerNumber).toMatch(/^CUS-\d{6}$/);
    expect(Number(b.customerNumber.slice(4))).toBe(Number(a.customerNumber.slice(4)) + 1);
  });

  it('makes an enterprise Corporate from the start and requires its company name', async () => {
    const ok = await run(admin, CREATE, {
      input: { type: 'ENTERPRISE', companyName: 'Inditex SA', primaryEmail: 'travel@inditex.example.com' },
    });
    expect(ok.data.createCustomer).toMatchObject({ segment: 'CORPORATE', displayName: 'Inditex SA' });

    const missing = await run(admin, CREATE, { input: { type: 'ENTERPRISE', primaryEmail: 'x@corp.example.com' } });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'companyName' });
  });

  it('persists the customer and its CustomerRegistered event in one transaction', async () => {
    const created = (await run(admin, CREATE, { input: individual() })).data as any;
    const id = created.createCustomer.id;
    const read = await run(callerWith('Viewer'), READ, { id });
    expect(read.data.customer).toMatchObject({ id, customerNumber: created.createCustomer.customerNumber });
    const events = await h.handle.db.select().from(outbox);
    const event = events.find((e) => e.aggregateId === id);
    expect(event).toMatchObject({ type: 'cmp.customer.CustomerRegistered', customerId: id, source: 'cmp.customer' });
    expect(event?.publishedAt).toBeNull();
  });

  it.each([
    ['primaryEmail', { primaryEmail: 'not-an-email' }, /valid e-mail/],
    ['primaryEmail', { primaryEmail: `${'a'.repeat(250)}@x.com` }, /at most 255/],
    ['primaryEmail', { primaryEmail: 'someone@mailinator.com' }, /disposable/],
    ['primaryPhone', { primaryPhone: '555-1234' }, /country code/],
    ['primaryPhone', { primaryPhone: '(555) 123-4567' }, /country code/],
    ['billingAddress.country', { billingAddress: { street: 'x', city: 'y', zipCode: '1', country: 'XX' } }, /ISO 3166/],
    ['lastName', { lastName: '  ' }, /required/],
  ])('refuses a bad %s with BAD_USER_INPUT naming the field', async (field, overrides, message) => {
    const result = await run(admin, CREATE, { input: individual(overrides) });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('answers CUST-002 naming primaryEmail when a live customer already has the address, in any case', async () => {
    const email = `dup.${Date.now()}@example.com`;
    await run(admin, CREATE, { input: individual({ primaryEmail: email }) });
    const again = await run(admin, CREATE, { input: individual({ primaryEmail: email.toUpperCase() }) });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-002', field: 'primaryEmail' });
    expect(again.errors?.[0]?.message).not.toMatch(/insert|select|constraint/i);
  });

  it('gives 100 concurrent creations 100 distinct customer numbers', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => run(admin, CREATE, { input: individual() })));
    const numbers = results.map((r) => r.data.createCustomer.customerNumber);
    expect(new Set(numbers).size).toBe(100);
  });
});

describe('access', () => {
  it('lets SalesRep create but refuses Viewer and SupportAgent with FORBIDDEN', async () => {
    expect((await run(callerWith('SalesRep'), CREATE, { input: individual() })).errors).toBeUndefined();
    for (const role of ['Viewer', 'SupportAgent'] as const) {
      const result = await run(callerWith(role), CREATE, { input: individual() });
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('lets a Customer token read itself and nobody else', async () => {
    const mine = (await run(admin, CREATE, { input: individual() })).data.createCustomer.id;
    const other = (await run(admin, CREATE, { input: individual() })).data.createCustomer.id;
    const self = callerWith('Customer', { customerId: mine });
    expect((await run(self, READ, { id: mine })).data.customer.id).toBe(mine);
    const denied = await run(self, READ, { id: other });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers null for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await run(admin, READ, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.customer).toBeNull();
    const malformed = await run(admin, READ, { id: 'abc' });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});
