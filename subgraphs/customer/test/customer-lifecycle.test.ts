import { CUSTOMER_MERGED } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, outbox, purchases } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer, uniqueEmail } from './factories.ts';

const STATUS = /* GraphQL */ `
  mutation($id: ID!, $status: CustomerStatus!, $reason: String!) {
    changeCustomerStatus(id: $id, status: $status, reason: $reason) { id status history(attributes: [STATUS]) { fromValue toValue reason actor } }
  }
`;
const DEACTIVATE = `mutation($id: ID!, $reason: String!) { deactivateCustomer(id: $id, reason: $reason) { id deactivatedAt deactivationReason } }`;
const REACTIVATE = `mutation($id: ID!, $reason: String!) { reactivateCustomer(id: $id, reason: $reason) { id deactivatedAt history(attributes: [DEACTIVATION]) { fromValue toValue reason } } }`;
const MERGE = /* GraphQL */ `
  mutation($input: MergeCustomersInput!) {
    mergeCustomers(input: $input) {
      id lifetimeValue { amountMinor currency } contacts { email isPrimary } history(attributes: [MERGE]) { fromValue toValue }
    }
  }
`;
const READ = `query($id: ID!) { customer(id: $id) { id customerNumber status } }`;
const ADD_CONTACT = `mutation($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) { id } }`;
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }`;

let h: SubgraphHarness;
const admin = callerWith('Admin', { subject: 'manager-1' });

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

const eventTypes = async (aggregateId: string) =>
  (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, aggregateId)).orderBy(outbox.id)).map((e) => e.type);

describe('status transitions (CUST-003)', () => {
  it('follows the allowed moves and records each with its reason', async () => {
    const { id } = await createdCustomer(h, admin);
    for (const status of ['SUSPENDED', 'ACTIVE', 'INACTIVE', 'ARCHIVED', 'ACTIVE']) {
      const result = await h.run(admin, STATUS, { id, status, reason: `moving to ${status}` });
      expect(result.errors).toBeUndefined();
      expect(result.data.changeCustomerStatus.status).toBe(status);
    }
    const last = await h.run(admin, STATUS, { id, status: 'INACTIVE', reason: 'quiet' });
    expect(last.data.changeCustomerStatus.history.map((e: any) => `${e.fromValue}>${e.toValue}`)).toEqual([
      'ACTIVE>INACTIVE', 'ARCHIVED>ACTIVE', 'INACTIVE>ARCHIVED', 'ACTIVE>INACTIVE', 'SUSPENDED>ACTIVE', 'ACTIVE>SUSPENDED',
    ]);
    expect(last.data.changeCustomerStatus.history[0]).toMatchObject({ reason: 'quiet', actor: 'manager-1' });
    expect((await eventTypes(id)).filter((t) => t === 'cmp.customer.CustomerStatusChanged')).toHaveLength(6);
  });

  it('refuses a move that is not allowed with CUST-003 naming the allowed ones', async () => {
    const { id } = await createdCustomer(h, admin);
    await h.run(admin, STATUS, { id, status: 'ARCHIVED', reason: 'closed account' });
    const result = await h.run(admin, STATUS, { id, status: 'SUSPENDED', reason: 'try' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-003', from: 'ARCHIVED', to: 'SUSPENDED', allowed: ['ACTIVE'] });
    const same = await h.run(admin, STATUS, { id, status: 'ARCHIVED', reason: 'again' });
    expect(same.errors?.[0]?.extensions?.code).toBe('CUST-003');
  });

  it('lets exactly one of 20 identical concurrent changes through', async () => {
    const { id } = await createdCustomer(h, admin);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.run(admin, STATUS, { id, status: 'SUSPENDED', reason: 'fraud check' })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CUST-003')).toHaveLength(19);
  });

  it('needs a reason of at least 3 characters', async () => {
    const { id } = await createdCustomer(h, admin);
    const result = await h.run(admin, STATUS, { id, status: 'INACTIVE', reason: ' x ' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
  });
});

describe('deactivation', () => {
  it('hides the customer, closes it to changes, and brings it back on reactivation', async () => {
    const { id } = await createdCustomer(h, admin);
    const done = await h.run(admin, DEACTIVATE, { id, reason: 'Customer asked to close the account' });
    expect(done.data.deactivateCustomer).toMatchObject({ id, deactivationReason: 'Customer asked to close the account' });
    expect((await h.run(admin, READ, { id })).data.customer).toBeNull();

    const change = await h.run(admin, `mutation($id: ID!) { updateCustomer(id: $id, input: { title: "Sr." }) { id } }`, { id });
    expect(change.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-004' });
    const again = await h.run(admin, DEACTIVATE, { id, reason: 'twice' });
    expect(again.errors?.[0]?.extensions?.code).toBe('CUST-004');

    const back = await h.run(admin, REACTIVATE, { id, reason: 'Customer came back' });
    expect(back.data.reactivateCustomer).toMatchObject({
      id,
      deactivatedAt: null,
      history: [
        { fromValue: 'DEACTIVATED', toValue: 'LIVE', reason: 'Customer came back' },
        { fromValue: 'LIVE', toValue: 'DEACTIVATED', reason: 'Customer asked to close the account' },
      ],
    });
    expect((await h.run(admin, READ, { id })).data.customer.id).toBe(id);
    expect(await eventTypes(id)).toEqual(['cmp.customer.CustomerRegistered', 'cmp.customer.CustomerDeactivated', 'cmp.customer.CustomerReactivated']);
  });

  it('refuses to reactivate a live customer (BAD_USER_INPUT) and needs the privilege to deactivate', async () => {
    const { id } = await createdCustomer(h, admin);
    const live = await h.run(admin, REACTIVATE, { id, reason: 'not needed' });
    expect(live.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const sales = await h.run(callerWith('SalesRep'), DEACTIVATE, { id, reason: 'not mine to do' });
    expect(sales.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const missing = await h.run(admin, DEACTIVATE, { id: '00000000-0000-4000-8000-000000000002', reason: 'unknown' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('CUST-001');
  });

  it('frees the e-mail while deactivated, and reactivation answers CUST-002 if it was taken meanwhile', async () => {
    const email = uniqueEmail('reuse');
    const { id } = await createdCustomer(h, admin, { primaryEmail: email });
    await h.run(admin, DEACTIVATE, { id, reason: 'duplicate record' });
    await createdCustomer(h, admin, { primaryEmail: email });
    const back = await h.run(admin, REACTIVATE, { id, reason: 'restoring' });
    expect(back.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-002', field: 'primaryEmail' });
    expect((await h.run(admin, READ, { id })).data.customer).toBeNull();
  });
});

describe('mergeCustomers', () => {
  it('moves contacts and purchases to the target, deactivates the source pointing at it, and announces the merge', async () => {
    const source = await createdCustomer(h, admin, { firstName: 'Lucia' });
    const target = await createdCustomer(h, admin);
    await h.run(admin, ADD_CONTACT, { customerId: source.id, input: { firstName: 'Ana', lastName: 'Ruiz', email: 'ana@example.com' } });
    await h.run(admin, ADD_CONTACT, { customerId: target.id, input: { firstName: 'Juan', lastName: 'Gil', email: 'juan@example.com' } });
    const bought = await h.run(admin, PURCHASE, {
      input: {
        customerId: source.id,
        orderReference: `ORD-${source.id}`,
        channel: 'WEB',
        currency: 'EUR',
        items: [{ sku: 'BAG-23', description: 'Extra bag', quantity: 1, unitAmountMinor: 4550 }],
        purchasedAt: '2026-10-01T10:00:00Z',
      },
    });
    expect(bought.errors).toBeUndefined();

    const result = await h.run(admin, MERGE, { input: { sourceCustomerId: source.id, targetCustomerId: target.id } });
    expect(result.errors).toBeUndefined();
    expect(result.data.mergeCustomers).toMatchObject({
      id: target.id,
      lifetimeValue: { amountMinor: 4550, currency: 'EUR' },
      contacts: [
        { email: 'juan@example.com', isPrimary: true },
        { email: 'ana@example.com', isPrimary: false },
      ],
      history: [{ fromValue: source.customerNumber, toValue: target.customerNumber }],
    });
    // Reads of the merged id lead to the target.
    expect((await h.run(admin, READ, { id: source.id })).data.customer).toMatchObject({ id: target.id, customerNumber: target.customerNumber });
    const sourceContacts = await h.handle.db.select().from(contacts).where(eq(contacts.customerId, source.id));
    expect(sourceContacts).toEqual([]);
    expect(await h.handle.db.select().from(purchases).where(eq(purchases.customerId, source.id))).toEqual([]);

    const [event] = await h.handle.db.select().from(outbox).where(eq(outbox.type, CUSTOMER_MERGED)).orderBy(outbox.id);
    expect(event).toMatchObject({
      aggregateId: source.id,
      customerId: target.id,
      data: expect.objectContaining({ sourceCustomerId: source.id, targetCustomerId: target.id, sourceCustomerNumber: source.customerNumber }),
    });
  });

  it('refuses the same customer (BAD_USER_INPUT), an unknown one (CUST-001), and a merged one (CUST-004)', async () => {
    const a = await createdCustomer(h, admin);
    const b = await createdCustomer(h, admin);
    const same = await h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: a.id } });
    expect(same.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'targetCustomerId' });
    const unknown = await h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: '00000000-0000-4000-8000-000000000003' } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('CUST-001');
    await h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: b.id } });
    const again = await h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: b.id } });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-004', field: 'sourceCustomerId' });
    const sales = await h.run(callerWith('SalesRep'), MERGE, { input: { sourceCustomerId: b.id, targetCustomerId: a.id } });
    expect(sales.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('undoes the whole merge when the target cannot take the contacts (CONT-004)', async () => {
    const source = await createdCustomer(h, admin);
    const target = await createdCustomer(h, admin);
    for (let i = 0; i < 30; i++) {
      await h.run(admin, ADD_CONTACT, { customerId: source.id, input: { firstName: 'S', lastName: `${i}`, email: `s${i}@example.com` } });
      await h.run(admin, ADD_CONTACT, { customerId: target.id, input: { firstName: 'T', lastName: `${i}`, email: `t${i}@example.com` } });
    }
    const result = await h.run(admin, MERGE, { input: { sourceCustomerId: source.id, targetCustomerId: target.id } });
    expect(result.errors?.[0]?.extensions?.code).toBe('CONT-004');
    expect((await h.run(admin, READ, { id: source.id })).data.customer.id).toBe(source.id);
    expect(await h.handle.db.select().from(contacts).where(eq(contacts.customerId, source.id))).toHaveLength(30);
    expect((await eventTypes(source.id)).filter((t) => t === CUSTOMER_MERGED)).toEqual([]);
  });

  it('leads a chain of merges to the customer that stays', async () => {
    const a = await createdCustomer(h, admin);
    const b = await createdCustomer(h, admin);
    const c = await createdCustomer(h, admin);
    await h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: b.id } });
    await h.run(admin, MERGE, { input: { sourceCustomerId: b.id, targetCustomerId: c.id } });
    expect((await h.run(admin, READ, { id: a.id })).data.customer.id).toBe(c.id);
    const entity = await h.run(admin, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }`, {
      r: [{ __typename: 'Customer', id: a.id }],
    });
    expect(entity.data._entities).toEqual([{ id: c.id }]);
  });

  it('never deadlocks or double-merges when two agents merge the same pair in opposite directions', async () => {
    const a = await createdCustomer(h, admin);
    const b = await createdCustomer(h, admin);
    const [ab, ba] = await Promise.all([
      h.run(admin, MERGE, { input: { sourceCustomerId: a.id, targetCustomerId: b.id } }),
      h.run(admin, MERGE, { input: { sourceCustomerId: b.id, targetCustomerId: a.id } }),
    ]);
    expect([ab, ba].filter((r) => !r.errors)).toHaveLength(1);
    expect([ab, ba].filter((r) => r.errors?.[0]?.extensions?.code === 'CUST-004')).toHaveLength(1);
  });
});
