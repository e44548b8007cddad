import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer, individual, uniqueEmail } from './factories.ts';

const FULL = /* GraphQL */ `
  fragment Full on Customer {
    id type companyName industry website title firstName middleName lastName displayName primaryEmail primaryPhone
    billingAddress { street city state zipCode country }
    shippingAddress { street city state zipCode country }
    addressWarnings { field message }
    dateOfBirth gender nationality passport { number country expiresOn } loyaltyNumber preferredLanguage timeZone
    history(attributes: [PROFILE]) { attribute toValue source actor }
    updatedAt
  }
`;
const CREATE = `${FULL} mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ...Full } }`;
const UPDATE = `${FULL} mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { ...Full } }`;

let h: SubgraphHarness;
// With MFA: the sensitive fields (addresses, date of birth, passport number) read in clear (see sensitive-fields.test.ts).
const admin = callerWith('Admin', { subject: 'agent-7', mfa: true });

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

const eventsOf = (customerId: string) =>
  h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, customerId)).orderBy(outbox.id);

describe('the airline profile', () => {
  it('stores every field of the spec and the profile, normalised', async () => {
    const result = await h.run(admin, CREATE, {
      input: individual({
        title: 'Dra.',
        middleName: 'María',
        website: 'https://lucia.example.com',
        industry: 'Medicine',
        shippingSameAsBilling: true,
        dateOfBirth: '1984-02-29',
        gender: 'FEMALE',
        nationality: 'es',
        passport: { number: 'paa 123456', country: 'es', expiresOn: '2031-05-01' },
        loyaltyNumber: 'ib 12345678',
        preferredLanguage: 'en-gb',
        timeZone: 'Europe/Madrid',
      }),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data.createCustomer).toMatchObject({
      title: 'Dra.',
      middleName: 'María',
      displayName: 'Lucía Fernández',
      website: 'https://lucia.example.com',
      industry: 'Medicine',
      billingAddress: { street: 'Calle de Alcalá 1', city: 'Madrid', state: null, zipCode: '28014', country: 'ES' },
      shippingAddress: { street: 'Calle de Alcalá 1', city: 'Madrid', state: null, zipCode: '28014', country: 'ES' },
      addressWarnings: [],
      dateOfBirth: '1984-02-29',
      gender: 'FEMALE',
      nationality: 'ES',
      passport: { number: 'PAA123456', country: 'ES', expiresOn: '2031-05-01' },
      loyaltyNumber: 'IB12345678',
      preferredLanguage: 'en-GB',
      timeZone: 'Europe/Madrid',
    });
  });

  it('warns about a postal code that does not fit the country but saves the address', async () => {
    const result = await h.run(admin, CREATE, {
      input: individual({
        billingAddress: { street: 'Calle Mayor 5', city: 'Madrid', zipCode: '2801', country: 'ES' },
        shippingAddress: { street: '10 Downing St', city: 'London', zipCode: 'SW1A 2AA', country: 'GB' },
      }),
    });
    expect(result.errors).toBeUndefined();
    const customer = result.data.createCustomer;
    expect(customer.billingAddress.zipCode).toBe('2801');
    expect(customer.addressWarnings).toEqual([
      { field: 'billingAddress.zipCode', message: '"2801" does not look like a postal code of Spain' },
    ]);
  });

  it.each([
    ['dateOfBirth', { dateOfBirth: '2999-01-01' }, /future/],
    ['dateOfBirth', { dateOfBirth: '1850-01-01' }, /130 years/],
    ['website', { website: 'javascript:alert(1)' }, /http or https/],
    ['nationality', { nationality: 'Spain' }, /ISO 3166/],
    ['passport.number', { passport: { number: 'AB' } }, /5 to 20/],
    ['timeZone', { timeZone: 'Mars/Olympus' }, /IANA/],
    ['preferredLanguage', { preferredLanguage: 'english please' }, /BCP 47/],
    ['shippingSameAsBilling', { billingAddress: null, shippingSameAsBilling: true }, /billing address/],
    ['loyaltyNumber', { loyaltyNumber: '12' }, /6 to 20/],
  ])('refuses a bad %s naming the field', async (field, overrides, message) => {
    const result = await h.run(admin, CREATE, { input: individual(overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('refuses an impossible calendar date at the API boundary, naming the argument', async () => {
    const result = await h.run(admin, CREATE, { input: individual({ dateOfBirth: '1990-02-30' }) });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/YYYY-MM-DD/);
  });
});

describe('updateCustomer', () => {
  it('changes only the fields given, clears with null, and records what changed', async () => {
    const { id } = await createdCustomer(h, admin, { middleName: 'Ana', timeZone: 'Europe/Madrid' });
    const newEmail = uniqueEmail('new');
    const result = await h.run(admin, UPDATE, {
      id,
      input: { middleName: null, primaryEmail: newEmail, shippingAddress: { street: 'Gran Vía 2', city: 'Madrid', zipCode: '28013', country: 'ES' } },
    });
    expect(result.errors).toBeUndefined();
    const updated = result.data.updateCustomer;
    expect(updated).toMatchObject({
      middleName: null,
      firstName: 'Lucía',
      timeZone: 'Europe/Madrid',
      primaryEmail: newEmail,
      shippingAddress: { street: 'Gran Vía 2', city: 'Madrid', zipCode: '28013', country: 'ES' },
      history: [{ attribute: 'PROFILE', toValue: 'middleName,primaryEmail,shippingAddress', source: 'MANUAL', actor: 'agent-7' }],
    });
    const events = (await eventsOf(id)).map((e) => [e.type, (e.data as { changedFields?: string[] }).changedFields]);
    expect(events).toEqual([
      ['cmp.customer.CustomerRegistered', undefined],
      ['cmp.customer.CustomerContactInfoUpdated', ['primaryEmail', 'shippingAddress']],
      ['cmp.customer.CustomerProfileUpdated', ['middleName']],
    ]);
    // No values of personal data travel in the events.
    expect(JSON.stringify((await eventsOf(id)).map((e) => e.data))).not.toContain(newEmail);
  });

  it('writes nothing when nothing actually changes', async () => {
    const { id } = await createdCustomer(h, admin, { title: 'Sr.' });
    const result = await h.run(admin, UPDATE, { id, input: { title: 'Sr.', firstName: 'Lucía' } });
    expect(result.errors).toBeUndefined();
    expect(result.data.updateCustomer.history).toEqual([]);
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it('keeps the type rules: an individual cannot lose its last name, the e-mail cannot be cleared', async () => {
    const { id } = await createdCustomer(h, admin);
    const noName = await h.run(admin, UPDATE, { id, input: { lastName: null } });
    expect(noName.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lastName' });
    const noEmail = await h.run(admin, UPDATE, { id, input: { primaryEmail: null } });
    expect(noEmail.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'primaryEmail' });
  });

  it('answers CUST-002 when the new e-mail belongs to another live customer, and keeps the old one', async () => {
    const taken = uniqueEmail('taken');
    await createdCustomer(h, admin, { primaryEmail: taken });
    const { id } = await createdCustomer(h, admin);
    const result = await h.run(admin, UPDATE, { id, input: { primaryEmail: taken.toUpperCase() } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-002', field: 'primaryEmail' });
    const read = await h.run(admin, `query($id: ID!) { customer(id: $id) { primaryEmail } }`, { id });
    expect(read.data.customer.primaryEmail).not.toBe(taken);
  });

  it('answers CUST-001 for an unknown customer and FORBIDDEN for a Viewer', async () => {
    const unknown = await h.run(admin, UPDATE, { id: '00000000-0000-4000-8000-000000000001', input: { title: 'Sr.' } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('CUST-001');
    const { id } = await createdCustomer(h, admin);
    const viewer = await h.run(callerWith('Viewer'), UPDATE, { id, input: { title: 'Sr.' } });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('applies 100 concurrent updates of one customer without losing any: the last write of each field wins whole', async () => {
    const { id } = await createdCustomer(h, admin);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => h.run(admin, UPDATE, { id, input: { industry: `Industry ${i}`, title: `T${i}` } })),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const read = await h.run(admin, `query($id: ID!) { customer(id: $id) { industry title history(attributes: [PROFILE], first: 200) { id } } }`, { id });
    // Each update ran alone (row lock): the pair always comes from the same request.
    expect(read.data.customer.industry.replace('Industry ', 'T')).toBe(read.data.customer.title);
    expect(read.data.customer.history).toHaveLength(100);
  });
});
