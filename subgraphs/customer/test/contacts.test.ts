import { randomUUID } from 'node:crypto';
import type { Caller } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, customers, outbox } from '../src/db/schema.ts';
import { moveContacts } from '../src/domain/contacts.ts';
import { customerSubgraph } from '../src/index.ts';
import { contactLoaders } from '../src/loaders/contacts.ts';

let h: SubgraphHarness;
const admin = callerWith('Admin');
const salesRep = callerWith('SalesRep');
const run = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => h.run(caller, query, variables);

const FIELDS = 'id firstName lastName email phone jobTitle isPrimary tags removedAt customer { id customerNumber }';
const ADD = `mutation($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { ${FIELDS} } }`;
const REMOVE = `mutation($id: ID!, $newPrimaryContactId: ID) { removeContact(id: $id, newPrimaryContactId: $newPrimaryContactId) { ${FIELDS} } }`;
const TAG = `mutation($id: ID!, $tags: [String!]!) { tagContact(id: $id, tags: $tags) { id tags } }`;
const UNTAG = `mutation($id: ID!, $tags: [String!]!) { untagContact(id: $id, tags: $tags) { id tags } }`;
const CONTACTS = `query($id: ID!, $tag: String) { customer(id: $id) { id contacts(tag: $tag) { id email isPrimary tags } primaryContact { id email } } }`;

async function newCustomer(): Promise<string> {
  const created = await run(admin, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'ENTERPRISE', companyName: 'Viajes Iberia SA', primaryEmail: `travel.${randomUUID().slice(0, 8)}@example.com` },
  });
  expect(created.errors).toBeUndefined();
  return created.data.createCustomer.id;
}

let counter = 0;
const person = (overrides: Record<string, unknown> = {}) => ({
  firstName: 'Carmen',
  lastName: 'Ruiz',
  email: `carmen.${++counter}.${randomUUID().slice(0, 6)}@example.com`,
  ...overrides,
});

async function add(customerId: string, overrides: Record<string, unknown> = {}, caller: Caller = salesRep) {
  const result = await run(caller, ADD, { customerId, input: person(overrides) });
  expect(result.errors).toBeUndefined();
  return result.data.addContact as { id: string; email: string; isPrimary: boolean; tags: string[] };
}

async function liveContacts(customerId: string) {
  return h.handle.db
    .select()
    .from(contacts)
    .where(and(eq(contacts.customerId, customerId), isNull(contacts.removedAt)))
    .orderBy(asc(contacts.createdAt));
}

async function eventsOf(customerId: string) {
  return h.handle.db.select().from(outbox).where(eq(outbox.customerId, customerId)).orderBy(asc(outbox.id));
}

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('adding contacts', () => {
  it('makes the first contact primary, normalises phone and tags, and records the events without personal data', async () => {
    const customerId = await newCustomer();
    const first = await run(salesRep, ADD, {
      customerId,
      input: person({ email: 'Ana.Lopez@Example.com', phone: '+44 20 7946 0958', jobTitle: 'Travel manager', tags: ['VIP', 'travel_desk', 'vip'] }),
    });
    expect(first.errors).toBeUndefined();
    expect(first.data.addContact).toMatchObject({
      email: 'Ana.Lopez@Example.com',
      phone: '+442079460958',
      jobTitle: 'Travel manager',
      isPrimary: true,
      tags: ['vip', 'travel_desk'],
      removedAt: null,
    });
    expect(first.data.addContact.customer.id).toBe(customerId);
    expect(first.data.addContact.customer.customerNumber).toMatch(/^CUS-\d{6}$/);
    const second = await add(customerId);
    expect(second.isPrimary).toBe(false);

    const events = (await eventsOf(customerId)).filter((e) => e.type.startsWith('cmp.customer.Contact') || e.type.endsWith('PrimaryContactChanged'));
    expect(events.map((e) => e.type)).toEqual(['cmp.customer.ContactAdded', 'cmp.customer.ContactAdded']);
    expect(events[0]).toMatchObject({ aggregateType: 'Customer', aggregateId: customerId, data: { contactId: first.data.addContact.id, isPrimary: true } });
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain('Example.com');
  });

  it('moves the primary to a contact added with isPrimary: true', async () => {
    const customerId = await newCustomer();
    const a = await add(customerId);
    const b = await add(customerId, { isPrimary: true });
    expect(b.isPrimary).toBe(true);
    const read = await run(admin, CONTACTS, { id: customerId });
    expect(read.data.customer.primaryContact.id).toBe(b.id);
    expect(read.data.customer.contacts.map((c: { id: string }) => c.id)).toEqual([b.id, a.id]);
    expect(read.data.customer.contacts.filter((c: { isPrimary: boolean }) => c.isPrimary)).toHaveLength(1);
    const changed = (await eventsOf(customerId)).filter((e) => e.type === 'cmp.customer.PrimaryContactChanged');
    expect(changed.map((e) => e.data)).toEqual([{ contactId: b.id, previousContactId: a.id, changedBy: 'test:salesrep' }]);
  });

  it('refuses a second contact with the same e-mail in any case (CONT-002), but allows it at another customer', async () => {
    const customerId = await newCustomer();
    await add(customerId, { email: 'pilar.gomez@example.com' });
    const again = await run(salesRep, ADD, { customerId, input: person({ email: 'PILAR.Gomez@example.com' }) });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONT-002', field: 'email' });
    const elsewhere = await run(salesRep, ADD, { customerId: await newCustomer(), input: person({ email: 'pilar.gomez@example.com' }) });
    expect(elsewhere.errors).toBeUndefined();
  });

  it('names the field of every invalid value', async () => {
    const customerId = await newCustomer();
    const cases: [Record<string, unknown>, string][] = [
      [{ firstName: '  ' }, 'firstName'],
      [{ lastName: '' }, 'lastName'],
      [{ email: 'not-an-address' }, 'email'],
      [{ email: 'someone@mailinator.com' }, 'email'],
      [{ phone: '555-1234' }, 'phone'],
      [{ tags: ['ok', 'has space'] }, 'tags'],
      [{ tags: ['x'.repeat(51)] }, 'tags'],
      [{ tags: ['ñandú'] }, 'tags'],
    ];
    for (const [overrides, field] of cases) {
      const result = await run(salesRep, ADD, { customerId, input: person(overrides) });
      expect(result.errors?.[0]?.extensions, JSON.stringify(overrides)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toMatch(new RegExp(`^${field}: `));
    }
    expect(await liveContacts(customerId)).toHaveLength(0);
  });

  it('never exceeds 50 contacts nor makes two primaries under 60 concurrent additions', async () => {
    const customerId = await newCustomer();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => run(salesRep, ADD, { customerId, input: person({ isPrimary: i % 7 === 0 }) })),
    );
    const ok = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors);
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(10);
    expect(refused.every((r) => r.errors![0]!.extensions!.code === 'CONT-004')).toBe(true);
    const live = await liveContacts(customerId);
    expect(live).toHaveLength(50);
    expect(live.filter((c) => c.isPrimary)).toHaveLength(1);
    const limit = await run(salesRep, ADD, { customerId, input: person() });
    expect(limit.errors?.[0]?.extensions?.code).toBe('CONT-004');
  });

  it('refuses changes on a deactivated customer (CUST-004) and an unknown customer (CUST-001)', async () => {
    const customerId = await newCustomer();
    const contact = await add(customerId);
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'duplicate' }).where(eq(customers.id, customerId));
    expect((await run(salesRep, ADD, { customerId, input: person() })).errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect((await run(salesRep, UPDATE, { id: contact.id, input: { jobTitle: 'CFO' } })).errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect((await run(salesRep, TAG, { id: contact.id, tags: ['x'] })).errors?.[0]?.extensions?.code).toBe('CUST-004');
    expect((await run(salesRep, ADD, { customerId: randomUUID(), input: person() })).errors?.[0]?.extensions?.code).toBe('CUST-001');
    expect((await run(salesRep, ADD, { customerId: 'nope', input: person() })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
  });
});

describe('who may read and change contacts', () => {
  it('confines a Customer token to its own contacts and lets it change none', async () => {
    const mine = await newCustomer();
    const theirs = await newCustomer();
    const own = await add(mine);
    await add(theirs);
    const me = callerWith('Customer', { customerId: mine });
    const read = await run(me, CONTACTS, { id: mine });
    expect(read.errors).toBeUndefined();
    expect(read.data.customer.contacts.map((c: { id: string }) => c.id)).toEqual([own.id]);
    const other = await run(me, CONTACTS, { id: theirs });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.data?.customer ?? null).toBeNull();
    expect((await run(me, ADD, { customerId: mine, input: person() })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await run(me, UPDATE, { id: own.id, input: { jobTitle: 'x' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await run(callerWith('Viewer'), ADD, { customerId: mine, input: person() })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const entities = await run(me, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id email } } }`, {
      r: [{ __typename: 'Contact', id: own.id }],
    });
    expect(entities.data._entities).toEqual([{ id: own.id, email: own.email }]);
  });
});

describe('updating, removing and tagging contacts', () => {
  it('changes only the given fields, refuses a taken e-mail, and moves the primary with isPrimary: true', async () => {
    const customerId = await newCustomer();
    const a = await add(customerId, { email: 'a.one@example.com' });
    const b = await add(customerId, { email: 'b.two@example.com' });
    const updated = await run(salesRep, UPDATE, { id: b.id, input: { jobTitle: 'Finance', phone: '+34 912 345 678' } });
    expect(updated.data.updateContact).toMatchObject({ email: 'b.two@example.com', jobTitle: 'Finance', phone: '+34912345678', isPrimary: false });
    expect((await run(salesRep, UPDATE, { id: b.id, input: { email: 'A.ONE@example.com' } })).errors?.[0]?.extensions).toMatchObject({ code: 'CONT-002', field: 'email' });
    expect((await run(salesRep, UPDATE, { id: b.id, input: { email: 'B.Two@example.com' } })).errors).toBeUndefined();
    expect((await run(salesRep, UPDATE, { id: b.id, input: { phone: '(555) 123-4567' } })).errors?.[0]?.extensions).toMatchObject({ field: 'phone' });
    const primary = await run(salesRep, UPDATE, { id: b.id, input: { isPrimary: true } });
    expect(primary.data.updateContact.isPrimary).toBe(true);
    const live = await liveContacts(customerId);
    expect(live.find((c) => c.id === a.id)!.isPrimary).toBe(false);
    expect(live.filter((c) => c.isPrimary).map((c) => c.id)).toEqual([b.id]);
    const types = (await eventsOf(customerId)).map((e) => e.type);
    expect(types.filter((t) => t === 'cmp.customer.PrimaryContactChanged')).toHaveLength(1);
    const contactUpdated = (await eventsOf(customerId)).filter((e) => e.type === 'cmp.customer.ContactUpdated');
    expect(contactUpdated[0]!.data).toEqual({ contactId: b.id, changed: ['phone', 'jobTitle'], changedBy: 'test:salesrep' });
    expect((await run(salesRep, UPDATE, { id: randomUUID(), input: { jobTitle: 'x' } })).errors?.[0]?.extensions?.code).toBe('CONT-001');
  });

  it('keeps the last contact and the primary without a replacement (CONT-003), and removes softly', async () => {
    const customerId = await newCustomer();
    const a = await add(customerId);
    expect((await run(salesRep, REMOVE, { id: a.id })).errors?.[0]?.extensions?.code).toBe('CONT-003');
    const b = await add(customerId);
    const c = await add(customerId);
    const primaryWithout = await run(salesRep, REMOVE, { id: a.id });
    expect(primaryWithout.errors?.[0]?.extensions?.code).toBe('CONT-003');
    expect(primaryWithout.errors?.[0]?.message).toContain('newPrimaryContactId');
    expect((await run(salesRep, REMOVE, { id: a.id, newPrimaryContactId: randomUUID() })).errors?.[0]?.extensions?.code).toBe('CONT-001');
    expect((await run(salesRep, REMOVE, { id: a.id, newPrimaryContactId: a.id })).errors?.[0]?.extensions?.field).toBe('newPrimaryContactId');

    const removed = await run(salesRep, REMOVE, { id: a.id, newPrimaryContactId: c.id });
    expect(removed.errors).toBeUndefined();
    expect(removed.data.removeContact.removedAt).not.toBeNull();
    const [row] = await h.handle.db.select().from(contacts).where(eq(contacts.id, a.id));
    expect(row).toMatchObject({ removedBy: salesRep.subject, isPrimary: false });
    const read = await run(admin, CONTACTS, { id: customerId });
    expect(read.data.customer.primaryContact.id).toBe(c.id);
    expect(read.data.customer.contacts.map((x: { id: string }) => x.id).sort()).toEqual([b.id, c.id].sort());

    expect((await run(salesRep, REMOVE, { id: b.id })).errors).toBeUndefined();
    expect((await run(salesRep, REMOVE, { id: c.id, newPrimaryContactId: b.id })).errors?.[0]?.extensions?.code).toBe('CONT-003');
    expect((await run(salesRep, REMOVE, { id: a.id })).errors?.[0]?.extensions?.code).toBe('CONT-001');
    // The removed contact's e-mail is free again.
    expect((await run(salesRep, ADD, { customerId, input: person({ email: (await add(await newCustomer())).email }) })).errors).toBeUndefined();
    const again = await run(salesRep, ADD, { customerId, input: person({ email: row!.email }) });
    expect(again.errors).toBeUndefined();
  });

  it('tags case-insensitively without duplicates, untags, filters by tag and names the field of a bad tag', async () => {
    const customerId = await newCustomer();
    const a = await add(customerId, { tags: ['Board'] });
    const b = await add(customerId);
    const tagged = await run(salesRep, TAG, { id: a.id, tags: ['BOARD', 'Travel-Desk', 'travel-desk'] });
    expect(tagged.data.tagContact.tags).toEqual(['board', 'travel-desk']);
    expect((await run(salesRep, TAG, { id: b.id, tags: ['travel-desk'] })).errors).toBeUndefined();
    const bad = await run(salesRep, TAG, { id: a.id, tags: ['ok', 'not ok!'] });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tags' });
    expect(bad.errors?.[0]?.message).toContain('not ok!');
    const filtered = await run(admin, CONTACTS, { id: customerId, tag: 'TRAVEL-DESK' });
    expect(filtered.data.customer.contacts.map((c: { id: string }) => c.id).sort()).toEqual([a.id, b.id].sort());
    expect((await run(admin, CONTACTS, { id: customerId, tag: 'board' })).data.customer.contacts.map((c: { id: string }) => c.id)).toEqual([a.id]);
    const untagged = await run(salesRep, UNTAG, { id: a.id, tags: ['Board', 'unknown'] });
    expect(untagged.data.untagContact.tags).toEqual(['travel-desk']);
    const types = (await eventsOf(customerId)).map((e) => e.type);
    expect(types.filter((t) => t === 'cmp.customer.ContactTagged')).toHaveLength(2);
    expect(types.filter((t) => t === 'cmp.customer.ContactUntagged')).toHaveLength(1);
    expect((await run(admin, CONTACTS, { id: customerId, tag: 'bad tag' })).errors?.[0]?.extensions?.field).toBe('tag');
  });

  it('resolves the contacts, their customer and the primary of many customers in one request', async () => {
    const ids = [await newCustomer(), await newCustomer(), await newCustomer()];
    for (const id of ids) await add(id);
    const result = await run(admin, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id contacts { id customer { id } } primaryContact { id } } } }`, {
      r: ids.map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    for (const [i, entity] of (result.data._entities as { id: string; contacts: { id: string; customer: { id: string } }[]; primaryContact: { id: string } }[]).entries()) {
      expect(entity.id).toBe(ids[i]);
      expect(entity.contacts).toHaveLength(1);
      expect(entity.contacts[0]!.customer.id).toBe(ids[i]);
      expect(entity.primaryContact.id).toBe(entity.contacts[0]!.id);
    }
  });

  it('loads the contacts of many customers with one query per argument set, shared by contacts and primaryContact', async () => {
    const ids = [await newCustomer(), await newCustomer(), await newCustomer()];
    for (const id of ids) {
      await add(id, { tags: ['loaded'] });
      await add(id);
    }
    let selects = 0;
    const counting = new Proxy(h.handle.db, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'select') {
          return (...args: unknown[]) => {
            selects++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const loaders = contactLoaders(counting);
    const [all, tagged] = await Promise.all([
      Promise.all(ids.map((id) => loaders.contactsByCustomer(id, { tag: null }))),
      Promise.all(ids.map((id) => loaders.contactsByCustomer(id, { tag: 'loaded' }))),
      Promise.all(ids.map((id) => loaders.contactsByCustomer(id, { tag: null }))),
    ]);
    expect(selects).toBe(2);
    expect(all.map((list) => list.length)).toEqual([2, 2, 2]);
    expect(all.map((list) => list[0]!.customerId)).toEqual(ids);
    expect(all.every((list) => list[0]!.isPrimary && !list[1]!.isPrimary)).toBe(true);
    expect(tagged.map((list) => list.map((c) => c.tags))).toEqual([[['loaded']], [['loaded']], [['loaded']]]);
  });
});

describe('moveContacts (a merge moving contacts to the surviving customer)', () => {
  const events = { source: 'cmp.customer', traceparent: null };

  it('moves live contacts, removes those whose e-mail the target has, and keeps the target primary', async () => {
    const source = await newCustomer();
    const target = await newCustomer();
    const sourcePrimary = await add(source, { email: 'shared@example.com' });
    const mover = await add(source, { email: 'only.source@example.com' });
    const removedEarlier = await add(source);
    await run(salesRep, REMOVE, { id: removedEarlier.id });
    const targetPrimary = await add(target, { email: 'SHARED@example.com' });

    const result = await h.handle.db.transaction((tx) => moveContacts(tx, source, target, 'test:merge', events));
    expect(result).toEqual({ moved: 1, removedAsDuplicates: 1 });
    const live = await liveContacts(target);
    expect(live.map((c) => c.id).sort()).toEqual([targetPrimary.id, mover.id].sort());
    expect(live.filter((c) => c.isPrimary).map((c) => c.id)).toEqual([targetPrimary.id]);
    expect(await liveContacts(source)).toHaveLength(0);
    const [duplicate] = await h.handle.db.select().from(contacts).where(eq(contacts.id, sourcePrimary.id));
    expect(duplicate).toMatchObject({ customerId: source, removedBy: 'test:merge', isPrimary: false });
    expect(duplicate!.removedAt).not.toBeNull();
    const [earlier] = await h.handle.db.select().from(contacts).where(eq(contacts.id, removedEarlier.id));
    expect(earlier!.customerId).toBe(source);
  });

  it("keeps the source's primary as primary when the target has no contacts", async () => {
    const source = await newCustomer();
    const target = await newCustomer();
    const primary = await add(source);
    await add(source);
    const result = await h.handle.db.transaction((tx) => moveContacts(tx, source, target, 'test:merge', events));
    expect(result).toEqual({ moved: 2, removedAsDuplicates: 0 });
    const live = await liveContacts(target);
    expect(live.filter((c) => c.isPrimary).map((c) => c.id)).toEqual([primary.id]);
  });

  it('refuses a merge that would give the target more than 50 contacts (CONT-004) and changes nothing', async () => {
    const source = await newCustomer();
    const target = await newCustomer();
    for (let i = 0; i < 3; i++) await add(source);
    await add(source, { email: 'dup@example.com' });
    await add(target, { email: 'dup@example.com' });
    await h.handle.db.insert(contacts).values(
      Array.from({ length: 47 }, (_, i) => ({ customerId: target, firstName: 'T', lastName: `${i}`, email: `t${i}@example.com`, createdBy: 'test' })),
    );
    await expect(h.handle.db.transaction((tx) => moveContacts(tx, source, target, 'test:merge', events))).rejects.toMatchObject({
      extensions: { code: 'CONT-004' },
    });
    expect(await liveContacts(source)).toHaveLength(4);
    expect(await liveContacts(target)).toHaveLength(48);
    // Two fewer on the target and the three that are not duplicates fit exactly.
    const extra = (await liveContacts(target)).filter((c) => !c.isPrimary).slice(0, 1);
    await h.handle.db.update(contacts).set({ removedAt: new Date() }).where(eq(contacts.id, extra[0]!.id));
    const result = await h.handle.db.transaction((tx) => moveContacts(tx, source, target, 'test:merge', events));
    expect(result).toEqual({ moved: 3, removedAsDuplicates: 1 });
    expect(await liveContacts(target)).toHaveLength(50);
  });
});
