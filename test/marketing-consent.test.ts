import { createLogger, type Database } from '@cmp/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDueMessages } from '../subgraphs/interaction/src/delivery/dispatcher.ts';
import { captureTransport } from '../subgraphs/interaction/src/delivery/transport.ts';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

/**
 * Consent enforcement on marketing sends, through the gateway: the consent ledger lives in the customer subgraph,
 * the interaction subgraph learns it from ConsentGranted/ConsentWithdrawn. The platform's own dispatcher waits ten
 * minutes between rounds here, so each spec decides when queued messages are dispatched.
 */
let t: TestPlatform;
let admin: Record<string, string>;
let interactionDb: Database;

beforeAll(async () => {
  t = await startTestPlatform({ env: { DELIVERY_INTERVAL_MS: '600000' } });
  admin = bearer(await t.token('Admin'));
  interactionDb = t.platform.databases.find((d) => d.schema === 'interaction')!.db;
}, 300_000);
afterAll(() => t?.close());

const SEND_EMAIL = 'mutation($input: SendEmailInput!) { sendEmail(input: $input) { id status purpose } }';
const SEND_SMS = 'mutation($input: SendSmsInput!) { sendSms(input: $input) { id status purpose } }';
const MESSAGE = 'query($id: ID!) { message(id: $id) { id status purpose lastError } }';

async function customer(email: string): Promise<string> {
  const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'INDIVIDUAL', firstName: 'Marta', lastName: 'Consentida', primaryEmail: email, primaryPhone: '+34600111222' },
  }, admin);
  expect(created.errors).toBeUndefined();
  return created.data.createCustomer.id;
}

async function consent(customerId: string, purpose: string, granted: boolean) {
  const recorded = await post(t.url, 'mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id granted } }', {
    input: { customerId, purpose, granted, source: 'WEB' },
  }, admin);
  expect(recorded.errors).toBeUndefined();
}

const offer = (customerId: string, to: string, purpose?: string) => ({
  input: { customerId, to, subject: 'Double Avios this weekend', text: 'Fly to Lisbon and earn double Avios.', ...(purpose ? { purpose } : {}) },
});

async function dispatch() {
  const capture = captureTransport(interactionDb, 'no-reply@cmp.localhost');
  const log = createLogger({ name: 'test', level: 'silent' });
  return dispatchDueMessages(interactionDb, { EMAIL: capture, SMS: capture }, { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 10, leaseMs: 60_000 }, log);
}

describe('marketing sends need the consent ledger to grant them', () => {
  it('sends a marketing e-mail once MARKETING_EMAIL is granted, refuses it after the withdrawal, and never touches service mail', async () => {
    const to = 'marta.consent@example.com';
    const id = await customer(to);

    // Never answered: opt-in only, so refused, naming the purpose and the missing consent.
    const unasked = await post(t.url, SEND_EMAIL, offer(id, to, 'MARKETING'), admin);
    expect(unasked.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'purpose', consent: 'MARKETING_EMAIL' });
    expect(unasked.errors?.[0]?.message).toMatch(/MARKETING_EMAIL/);

    await consent(id, 'MARKETING_EMAIL', true);
    const sent = await eventually(async () => {
      const result = await post(t.url, SEND_EMAIL, offer(id, to, 'MARKETING'), admin);
      expect(result.errors).toBeUndefined();
      return result.data.sendEmail;
    }, 15_000);
    expect(sent).toMatchObject({ status: 'QUEUED', purpose: 'MARKETING' });
    await dispatch();
    expect((await post(t.url, MESSAGE, { id: sent.id }, admin)).data.message).toMatchObject({ status: 'SENT', purpose: 'MARKETING', lastError: null });

    await consent(id, 'MARKETING_EMAIL', false);
    const refused = await eventually(async () => {
      const result = await post(t.url, SEND_EMAIL, offer(id, to, 'MARKETING'), admin);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      return result.errors![0]!;
    }, 15_000);
    expect(refused.extensions).toMatchObject({ field: 'purpose', consent: 'MARKETING_EMAIL' });
    expect(refused.message).toMatch(/withdrew MARKETING_EMAIL/);

    // Operational mail (the default purpose) goes whatever the marketing consents.
    const service = await post(t.url, SEND_EMAIL, { input: { customerId: id, to, subject: 'IB3166 now leaves at 18:40', text: 'Your flight was retimed.' } }, admin);
    expect(service.errors).toBeUndefined();
    expect(service.data.sendEmail).toMatchObject({ status: 'QUEUED', purpose: 'SERVICE' });
    await dispatch();
    expect((await post(t.url, MESSAGE, { id: service.data.sendEmail.id }, admin)).data.message.status).toBe('SENT');
  }, 60_000);

  it('holds SMS to MARKETING_SMS: an e-mail consent does not cover it', async () => {
    const id = await customer('sms.consent@example.com');
    await consent(id, 'MARKETING_EMAIL', true);
    await consent(id, 'MARKETING_SMS', true);
    const sms = await eventually(async () => {
      const result = await post(t.url, SEND_SMS, { input: { customerId: id, to: '+34600111222', body: 'Double Avios this weekend', purpose: 'MARKETING' } }, admin);
      expect(result.errors).toBeUndefined();
      return result.data.sendSms;
    }, 15_000);
    expect(sms.purpose).toBe('MARKETING');
    await consent(id, 'MARKETING_SMS', false);
    await eventually(async () => {
      const result = await post(t.url, SEND_SMS, { input: { customerId: id, to: '+34600111222', body: 'Double Avios again', purpose: 'MARKETING' } }, admin);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'purpose', consent: 'MARKETING_SMS' });
    }, 15_000);
    // The e-mail consent still stands.
    const email = await post(t.url, SEND_EMAIL, offer(id, 'sms.consent@example.com', 'MARKETING'), admin);
    expect(email.errors).toBeUndefined();
  }, 60_000);

  it('does not deliver a marketing message queued before the consent was withdrawn', async () => {
    const to = 'queued.consent@example.com';
    const id = await customer(to);
    await consent(id, 'MARKETING_EMAIL', true);
    const queued = await eventually(async () => {
      const result = await post(t.url, SEND_EMAIL, offer(id, to, 'MARKETING'), admin);
      expect(result.errors).toBeUndefined();
      return result.data.sendEmail;
    }, 15_000);
    const service = (await post(t.url, SEND_EMAIL, { input: { customerId: id, to, subject: 'Your case COMP-1 was answered', text: 'See the reply.' } }, admin)).data.sendEmail;

    await consent(id, 'MARKETING_EMAIL', false);
    // Once the interaction subgraph knows of the withdrawal (a new marketing send is refused), dispatch.
    await eventually(async () => {
      const result = await post(t.url, SEND_EMAIL, offer(id, to, 'MARKETING'), admin);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }, 15_000);
    await dispatch();

    const marketing = (await post(t.url, MESSAGE, { id: queued.id }, admin)).data.message;
    expect(marketing.status).toBe('FAILED');
    expect(marketing.lastError).toMatch(/marketing without consent.*withdrew MARKETING_EMAIL/);
    expect((await post(t.url, MESSAGE, { id: service.id }, admin)).data.message.status).toBe('SENT');
    const captured = await post(t.url, '{ capturedMessages(first: 100) { edges { node { messageId } } } }', {}, admin);
    const capturedIds = captured.data.capturedMessages.edges.map((e: any) => e.node.messageId);
    expect(capturedIds).toContain(service.id);
    expect(capturedIds).not.toContain(queued.id);
  }, 60_000);

  it('keeps a merged duplicate\'s consent for the customer it was merged into', async () => {
    const target = await customer('merge.target@example.com');
    const duplicate = await customer('merge.duplicate@example.com');
    await consent(duplicate, 'MARKETING_EMAIL', true);
    const merged = await post(t.url, 'mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { id consents { purpose granted } } }', {
      input: { sourceCustomerId: duplicate, targetCustomerId: target },
    }, admin);
    expect(merged.errors).toBeUndefined();
    expect(merged.data.mergeCustomers.consents).toEqual([{ purpose: 'MARKETING_EMAIL', granted: true }]);
    await eventually(async () => {
      const result = await post(t.url, SEND_EMAIL, offer(target, 'merge.target@example.com', 'MARKETING'), admin);
      expect(result.errors).toBeUndefined();
    }, 15_000);
  }, 60_000);
});
