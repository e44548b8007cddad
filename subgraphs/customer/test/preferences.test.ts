import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consents, outbox } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer } from './factories.ts';

const PREFS = /* GraphQL */ `
  mutation($customerId: ID!, $input: CustomerPreferencesInput!) {
    updateCustomerPreferences(customerId: $customerId, input: $input) {
      channels notifications { kind enabled } seat meal drink interests updatedAt
    }
  }
`;
const READ_PREFS = `query($id: ID!) { customer(id: $id) { preferences { channels notifications { kind enabled } seat meal drink interests updatedAt } } }`;
const CONSENT = /* GraphQL */ `
  mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id purpose granted source note recordedBy recordedAt } }
`;
const READ_CONSENTS = `query($id: ID!) { customer(id: $id) { consents { purpose granted source } consentHistory { purpose granted } } }`;
const DEVICE = /* GraphQL */ `
  mutation($customerId: ID!, $input: CustomerDeviceInput!) {
    registerCustomerDevice(customerId: $customerId, input: $input) { id deviceId platform appVersion pushEnabled }
  }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin', { subject: 'agent-3' });

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('preferences', () => {
  it('answers the defaults before anything is chosen: operational notices on, offers off', async () => {
    const { id } = await createdCustomer(h, admin);
    const read = await h.run(admin, READ_PREFS, { id });
    expect(read.data.customer.preferences).toEqual({
      channels: [],
      notifications: [
        { kind: 'FLIGHT_UPDATES', enabled: true },
        { kind: 'CHECK_IN_REMINDERS', enabled: true },
        { kind: 'LOYALTY', enabled: true },
        { kind: 'CASE_UPDATES', enabled: true },
        { kind: 'LOUNGE', enabled: true },
        { kind: 'OFFERS', enabled: false },
      ],
      seat: null,
      meal: null,
      drink: null,
      interests: [],
      updatedAt: null,
    });
  });

  it('changes only what is given, and announces CustomerPreferencesUpdated', async () => {
    const { id } = await createdCustomer(h, admin);
    await h.run(admin, PREFS, { customerId: id, input: { seat: 'AISLE', meal: 'vgml', interests: ['Golf', 'golf', 'Opera'] } });
    const second = await h.run(admin, PREFS, {
      customerId: id,
      input: { channels: ['EMAIL', 'PUSH'], notifications: [{ kind: 'offers', enabled: true }, { kind: 'LOUNGE', enabled: false }] },
    });
    expect(second.errors).toBeUndefined();
    expect(second.data.updateCustomerPreferences).toMatchObject({
      channels: ['EMAIL', 'PUSH'],
      seat: 'AISLE',
      meal: 'VGML',
      interests: ['golf', 'opera'],
    });
    const switches = Object.fromEntries(second.data.updateCustomerPreferences.notifications.map((n: any) => [n.kind, n.enabled]));
    expect(switches).toMatchObject({ OFFERS: true, LOUNGE: false, FLIGHT_UPDATES: true });
    const events = await h.handle.db.select().from(outbox).where(eq(outbox.type, 'cmp.customer.CustomerPreferencesUpdated'));
    expect(events.filter((e) => e.customerId === id).map((e) => (e.data as any).changedFields)).toEqual([
      ['interests', 'meal', 'seat'],
      ['channels', 'notifications'],
    ]);
  });

  it.each([
    ['meal', { meal: 'PIZZA' }, /IATA special meal/],
    ['channels', { channels: ['SMS', 'SMS'] }, /repeat/],
    ['notifications[0].kind', { notifications: [{ kind: 'NEWSLETTER', enabled: true }] }, /one of/],
    ['interests[0]', { interests: [''] }, /required/],
    ['drink', { drink: 'x'.repeat(101) }, /at most 100/],
  ])('refuses a bad %s naming the field', async (field, input, message) => {
    const { id } = await createdCustomer(h, admin);
    const result = await h.run(admin, PREFS, { customerId: id, input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('lets customers set their own preferences and nobody else’s; Viewers may not change them', async () => {
    const mine = await createdCustomer(h, admin);
    const other = await createdCustomer(h, admin);
    const self = callerWith('Customer', { customerId: mine.id });
    expect((await h.run(self, PREFS, { customerId: mine.id, input: { seat: 'WINDOW' } })).errors).toBeUndefined();
    expect((await h.run(self, PREFS, { customerId: other.id, input: { seat: 'WINDOW' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(callerWith('Viewer'), PREFS, { customerId: mine.id, input: { seat: 'WINDOW' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('the consent ledger', () => {
  it('is opt-in: nothing is consented until granted, and the latest entry per purpose is in force', async () => {
    const { id } = await createdCustomer(h, admin);
    expect((await h.run(admin, READ_CONSENTS, { id })).data.customer.consents).toEqual([]);
    const self = callerWith('Customer', { customerId: id, subject: `customer:${id}` });
    const granted = await h.run(self, CONSENT, { input: { customerId: id, purpose: 'MARKETING_EMAIL', granted: true, source: 'MOBILE_APP' } });
    expect(granted.data.recordConsent).toMatchObject({ purpose: 'MARKETING_EMAIL', granted: true, source: 'MOBILE_APP', recordedBy: `customer:${id}` });
    await h.run(admin, CONSENT, { input: { customerId: id, purpose: 'PROFILING', granted: true, source: 'CONTACT_CENTRE', note: 'on the phone' } });
    await new Promise((r) => setTimeout(r, 5));
    await h.run(self, CONSENT, { input: { customerId: id, purpose: 'MARKETING_EMAIL', granted: false, source: 'EMAIL_LINK' } });

    const read = (await h.run(admin, READ_CONSENTS, { id })).data.customer;
    expect(read.consents).toEqual([
      { purpose: 'MARKETING_EMAIL', granted: false, source: 'EMAIL_LINK' },
      { purpose: 'PROFILING', granted: true, source: 'CONTACT_CENTRE' },
    ]);
    expect(read.consentHistory).toHaveLength(3);
    // Append-only: every statement is still there.
    expect(await h.handle.db.select().from(consents).where(eq(consents.customerId, id))).toHaveLength(3);
    const types = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('cmp.customer.Consent'))).toEqual([
      'cmp.customer.ConsentGranted',
      'cmp.customer.ConsentGranted',
      'cmp.customer.ConsentWithdrawn',
    ]);
  });

  it('refuses a grant that did not come from the customer (an import), and another customer’s token', async () => {
    const { id } = await createdCustomer(h, admin);
    const imported = await h.run(admin, CONSENT, { input: { customerId: id, purpose: 'MARKETING_SMS', granted: true, source: 'IMPORT' } });
    expect(imported.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'source' });
    const withdrawnByImport = await h.run(admin, CONSENT, { input: { customerId: id, purpose: 'MARKETING_SMS', granted: false, source: 'IMPORT' } });
    expect(withdrawnByImport.errors).toBeUndefined();
    const stranger = callerWith('Customer', { customerId: '00000000-0000-4000-8000-000000000009' });
    const denied = await h.run(stranger, CONSENT, { input: { customerId: id, purpose: 'MARKETING_SMS', granted: true, source: 'WEB' } });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('devices and channels', () => {
  it('registers a device once per installation and refreshes it', async () => {
    const { id } = await createdCustomer(h, admin);
    const self = callerWith('Customer', { customerId: id });
    const first = await h.run(self, DEVICE, { customerId: id, input: { deviceId: 'ios-abc', platform: 'IOS', appVersion: '7.1.0', pushEnabled: true } });
    const again = await h.run(self, DEVICE, { customerId: id, input: { deviceId: 'ios-abc', platform: 'IOS', appVersion: '7.2.0', pushEnabled: false } });
    expect(again.data.registerCustomerDevice).toMatchObject({ id: first.data.registerCustomerDevice.id, appVersion: '7.2.0', pushEnabled: false });
    await h.run(self, DEVICE, { customerId: id, input: { deviceId: 'web-1', platform: 'WEB' } });
    const read = await h.run(self, `query($id: ID!) { customer(id: $id) { devices { deviceId platform } } }`, { id });
    expect(read.data.customer.devices.map((d: any) => d.deviceId).sort()).toEqual(['ios-abc', 'web-1']);
  });
});
