import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createLogger,
  createTokenVerifier,
  openDatabase,
  parseSettings,
  signDevToken,
  startSubgraph,
  type DatabaseHandle,
  type Role,
  type RunningSubgraph,
  type Settings,
} from '@cmp/platform';
import { callerWith, createTestDatabase, startSubgraphHarness, type TestDatabase } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundMessages, smsOptOuts } from '../src/db/delivery.schema.ts';
import { interactions, outbox } from '../src/db/schema.ts';
import { dispatchDueMessages } from '../src/delivery/dispatcher.ts';
import { segmentSms } from '../src/delivery/sms-segments.ts';
import { captureTransport, httpSmsTransport, withCircuitBreaker } from '../src/delivery/transport.ts';
import { interactionSubgraph } from '../src/index.ts';
import { startSmsProvider } from './support/sms-provider.ts';
import { eventually } from './support/smtp.ts';

const TOKEN = 'sms-provider-token-0123456789';
const SEND = /* GraphQL */ `
  mutation($input: SendSmsInput!) {
    sendSms(input: $input) { id channel status recipient text segments encoding attempts interaction { id channel direction summary } }
  }
`;
const MESSAGE = 'query($id: ID!) { message(id: $id) { id status attempts lastError providerMessageId deliveredAt } }';

const logger = createLogger({ name: 'test', level: 'silent' });
let database: TestDatabase;
let replica: DatabaseHandle | null = null;
let server: RunningSubgraph;
let provider: Awaited<ReturnType<typeof startSmsProvider>>;
let settings: Settings;
const dispatchers: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  provider = await startSmsProvider();
  settings = parseSettings({
    CMP_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'cmp-sms-')),
    SMS_PROVIDER_URL: provider.url,
    SMS_PROVIDER_TOKEN: TOKEN,
    SMS_FROM: 'IBERIA',
    DELIVERY_INTERVAL_MS: '30',
    DELIVERY_BACKOFF_MS: '80',
    DELIVERY_MAX_ATTEMPTS: '4',
    DELIVERY_TIMEOUT_MS: '2000',
    // The breaker has its own spec; here every failure must reach the provider.
    DELIVERY_BREAK_AFTER: '1000',
  });
  database = await createTestDatabase([interactionSubgraph]);
  const db = database.handles.interaction.db;
  interactionSubgraph.configure!(settings, logger);
  // Two replicas of the subgraph share the database: each runs its own dispatcher (on its own pool on Postgres).
  replica = database.url ? await openDatabase({ schema: 'interaction', url: database.url, poolSize: 10 }) : null;
  dispatchers.push(await interactionSubgraph.start!({ db, settings, logger }));
  dispatchers.push(await interactionSubgraph.start!({ db: replica?.db ?? db, settings, logger }));
  server = await startSubgraph({
    definition: interactionSubgraph,
    database: database.handles.interaction,
    verifier: await createTokenVerifier(settings),
    logger,
    port: 0,
    host: '127.0.0.1',
  });
});
afterAll(async () => {
  await server?.close();
  for (const d of dispatchers) await d.stop();
  await replica?.close();
  await database?.close();
  await provider?.close();
});

async function gql(roles: Role[], query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await signDevToken(settings, { roles, expiresIn: '1h' })}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions: Record<string, unknown> }[] };
}

async function sendSms(input: Record<string, unknown>) {
  const result = await gql(['SupportAgent'], SEND, { input });
  expect(result.errors).toBeUndefined();
  return result.data.sendSms;
}

const settled = (id: string) =>
  eventually(
    async () => (await gql(['SupportAgent'], MESSAGE, { id })).data.message,
    (m) => !['QUEUED', 'SENDING'].includes(m.status),
  );

async function callback(route: 'status' | 'inbound', body: unknown, token = TOKEN) {
  const response = await fetch(new URL(`/v1/sms/${route}`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('SMS segments', () => {
  const gsm = (n: number) => 'a'.repeat(n);
  const ucs = (n: number) => 'ł'.repeat(n);
  it.each([
    ['160 GSM-7 characters', gsm(160), 'GSM_7', 1],
    ['161 GSM-7 characters', gsm(161), 'GSM_7', 2],
    ['306 GSM-7 characters', gsm(306), 'GSM_7', 2],
    ['307 GSM-7 characters', gsm(307), 'GSM_7', 3],
    ['1600 GSM-7 characters', gsm(1600), 'GSM_7', 11],
    ['80 euro signs (160 septets)', '€'.repeat(80), 'GSM_7', 1],
    ['81 euro signs (162 septets)', '€'.repeat(81), 'GSM_7', 2],
    ['an escape pair never split across parts', `${gsm(152)}€${gsm(152)}`, 'GSM_7', 3],
    ['70 UCS-2 characters', ucs(70), 'UCS_2', 1],
    ['71 UCS-2 characters', ucs(71), 'UCS_2', 2],
    ['134 UCS-2 characters', ucs(134), 'UCS_2', 2],
    ['135 UCS-2 characters', ucs(135), 'UCS_2', 3],
    ['a surrogate pair never split across parts', `${gsm(66)}😀${gsm(3)}`, 'UCS_2', 2],
    ['1600 emoji', '😀'.repeat(1600), 'UCS_2', 49],
  ])('counts %s', (_name, text, encoding, segments) => {
    expect(segmentSms(text)).toMatchObject({ encoding, segments });
  });

  it('records the count and encoding of what is sent, and refuses more than 1600 characters', async () => {
    const customerId = randomUUID();
    const long = await sendSms({ customerId, to: '+34 600 123 456', body: `${'a'.repeat(152)}€${'a'.repeat(152)}` });
    expect(long).toMatchObject({ status: 'QUEUED', recipient: '+34600123456', segments: 3, encoding: 'GSM_7', attempts: 0 });
    const spanish = await sendSms({ customerId, to: '+34600123456', body: 'Su vuelo IB3166 sale a las 10:40 desde la puerta J52. ¡Buen viaje! ✈' });
    expect(spanish).toMatchObject({ segments: 1, encoding: 'UCS_2' });
    const tooLong = await gql(['SupportAgent'], SEND, { input: { customerId, to: '+34600123456', body: 'a'.repeat(1601) } });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const emoji = await sendSms({ customerId, to: '+34600123456', body: '😀'.repeat(1600) });
    expect(emoji).toMatchObject({ segments: 49, encoding: 'UCS_2' });
  });

  it.each([
    ['to', { to: '555-1234' }],
    ['to', { to: '(555) 123-4567' }],
    ['to', { to: '+1 555' }],
    ['body', { body: '   ' }],
    ['customerId', { customerId: 'x' }],
  ])('refuses a bad %s with BAD_USER_INPUT naming it', async (field, overrides) => {
    const result = await gql(['SupportAgent'], SEND, { input: { customerId: randomUUID(), to: '+34600123456', body: 'Hola', ...overrides } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('sending through the SMS provider', () => {
  it('posts the message with the token, logs the SMS interaction, and applies the delivery report', async () => {
    const customerId = randomUUID();
    const queued = await sendSms({ customerId, to: '+44 20 7946 0958', body: 'Your lounge invitation for MAD-VELAZQUEZ is ready.' });
    expect(queued.interaction).toMatchObject({ channel: 'SMS', direction: 'OUTBOUND', summary: 'Your lounge invitation for MAD-VELAZQUEZ is ready.' });
    const sent = await settled(queued.id);
    const [request] = provider.forReference(queued.id);
    expect(request).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      body: { from: 'IBERIA', to: '+442079460958', body: 'Your lounge invitation for MAD-VELAZQUEZ is ready.', reference: queued.id },
    });
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1, providerMessageId: request!.id });

    expect((await callback('status', { id: request!.id, status: 'delivered' }, 'wrong-token-0123456789')).status).toBe(401);
    expect((await callback('status', { id: 'SMunknown', status: 'delivered' })).status).toBe(404);
    expect((await callback('status', { id: request!.id, status: 'read' })).body).toMatchObject({ field: 'status' });
    const report = await callback('status', { id: request!.id, status: 'delivered' });
    expect(report).toEqual({ status: 200, body: { messageId: queued.id, status: 'DELIVERED' } });
    expect((await gql(['SupportAgent'], MESSAGE, { id: queued.id })).data.message).toMatchObject({ status: 'DELIVERED', deliveredAt: expect.any(String) });
    await callback('status', { id: request!.id, status: 'delivered' });
    const events = (await database.handles.interaction.db.select().from(outbox)).filter((e) => e.aggregateId === queued.id).map((e) => e.type);
    expect(events.sort()).toEqual(['cmp.interaction.MessageDelivered', 'cmp.interaction.MessageSent']);
  });

  it('retries a failing provider with growing waits, then sends once', async () => {
    provider.fail(503, 500);
    const queued = await sendSms({ customerId: randomUUID(), to: '+34600123456', body: 'Retry me' });
    const sent = await settled(queued.id);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 3, lastError: null });
    const attempts = provider.forReference(queued.id);
    expect(attempts.map((a) => a.answered)).toEqual([503, 500, 201]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(80);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(160);
  });

  it('marks the message FAILED with the error when the provider stays down, and keeps it', async () => {
    provider.setDown(true);
    try {
      const queued = await sendSms({ customerId: randomUUID(), to: '+34600123456', body: 'Nobody answers' });
      const failed = await settled(queued.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 4 });
      expect(failed.lastError).toMatch(/SMS provider unreachable/);
      expect(provider.forReference(queued.id)).toHaveLength(4);
      const [row] = await database.handles.interaction.db.select().from(outboundMessages).where(eq(outboundMessages.id, queued.id));
      expect(row).toMatchObject({ textBody: 'Nobody answers', recipient: '+34600123456', status: 'FAILED', failedAt: expect.any(Date) });
      const event = (await database.handles.interaction.db.select().from(outbox)).find((e) => e.aggregateId === queued.id && e.type === 'cmp.interaction.MessageFailed');
      expect(event?.data).toMatchObject({ attempts: 4, error: expect.stringMatching(/unreachable/) });
    } finally {
      provider.setDown(false);
    }
  });

  it('does not retry a request the provider refuses (4xx)', async () => {
    provider.fail(400);
    const queued = await sendSms({ customerId: randomUUID(), to: '+34600123456', body: 'Refused' });
    expect(await settled(queued.id)).toMatchObject({ status: 'FAILED', attempts: 1, lastError: expect.stringMatching(/HTTP 400/) });
  });
});

describe('STOP and START', () => {
  it.each(['STOP', 'stop', 'Stop All', 'UNSUBSCRIBE', 'baja'])('refuses later sends to a number that texted %s, until it texts START', async (keyword) => {
    const number = `+3460${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const customerId = randomUUID();
    expect((await callback('inbound', { from: number, to: 'IBERIA', body: keyword }, 'wrong-token-0123456789')).status).toBe(401);
    expect(await callback('inbound', { from: number, to: 'IBERIA', body: ` ${keyword} ` })).toEqual({ status: 200, body: { action: 'OPTED_OUT' } });
    const [optOut] = await database.handles.interaction.db.select().from(smsOptOuts).where(eq(smsOptOuts.phoneNumber, number));
    expect(optOut).toMatchObject({ source: `SMS:${keyword.trim().toUpperCase()}` });

    const before = (await database.handles.interaction.db.select({ id: interactions.id }).from(interactions).where(eq(interactions.customerId, customerId))).length;
    const refused = await gql(['SupportAgent'], SEND, { input: { customerId, to: number, body: 'Offer' } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'COMM-001', field: 'to' });
    expect((await database.handles.interaction.db.select({ id: interactions.id }).from(interactions).where(eq(interactions.customerId, customerId))).length).toBe(before);

    expect((await callback('inbound', { from: number, to: 'IBERIA', body: 'Just a question' })).body).toEqual({ action: 'IGNORED' });
    expect((await callback('inbound', { from: number, to: 'IBERIA', body: keyword === 'baja' ? 'ALTA' : 'start' })).body).toEqual({ action: 'OPTED_IN' });
    const again = await sendSms({ customerId, to: number, body: 'Welcome back' });
    expect(await settled(again.id)).toMatchObject({ status: 'SENT' });
  });

  it('does not send a message queued before the STOP arrived', async () => {
    provider.setDown(true);
    const number = '+34611222333';
    try {
      const queued = await sendSms({ customerId: randomUUID(), to: number, body: 'Queued before STOP' });
      await callback('inbound', { from: number, body: 'STOP' });
      const failed = await settled(queued.id);
      expect(failed).toMatchObject({ status: 'FAILED', lastError: 'the recipient opted out (STOP)' });
      expect(provider.forReference(queued.id).every((r) => r.answered === 0)).toBe(true);
    } finally {
      provider.setDown(false);
      await callback('inbound', { from: number, body: 'START' });
    }
  });
});

describe('a replica that dies while sending', () => {
  it('leaves its message SENDING until the lease runs out; then another dispatcher sends it', async () => {
    const db = database.handles.interaction.db;
    const values = { channel: 'SMS' as const, customerId: randomUUID(), interactionId: randomUUID(), recipient: '+34600123456', segments: 1, encoding: 'GSM_7' as const, sentBy: 'test', attempts: 1, status: 'SENDING' as const };
    const [expired] = await db.insert(outboundMessages).values({ ...values, textBody: 'Lease expired', leaseUntil: new Date(Date.now() - 1000) }).returning();
    const [held] = await db.insert(outboundMessages).values({ ...values, textBody: 'Lease held', leaseUntil: new Date(Date.now() + 60_000) }).returning();
    const taken = await settled(expired!.id);
    expect(taken).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(provider.forReference(expired!.id)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    const [still] = await db.select().from(outboundMessages).where(eq(outboundMessages.id, held!.id));
    expect(still).toMatchObject({ status: 'SENDING', attempts: 1 });
    expect(provider.forReference(held!.id)).toHaveLength(0);
  });
});

describe('the circuit breaker', () => {
  it('stops calling a provider that keeps failing, without spending the waiting messages\' attempts, and tries again later', async () => {
    // Its own database and no background dispatcher: this spec drives the dispatcher itself.
    const own = await startSubgraphHarness(interactionSubgraph);
    try {
      const sms = withCircuitBreaker(httpSmsTransport({ url: provider.url, token: TOKEN, from: 'IBERIA', timeoutMs: 1000 }), { breakAfter: 2, openMs: 400 });
      const transports = { SMS: sms, EMAIL: captureTransport(own.handle.db, 'x@example.com') };
      const options = { maxAttempts: 5, backoffMs: 1, maxBackoffMs: 1, leaseMs: 60_000, batchSize: 1 };
      const ids: string[] = [];
      for (const body of ['one', 'two', 'three']) {
        const result = await own.run(callerWith('SupportAgent'), SEND, { input: { customerId: randomUUID(), to: '+34600123456', body } });
        ids.push(result.data.sendSms.id);
      }
      provider.setDown(true);
      const before = provider.requests.length;
      await dispatchDueMessages(own.handle.db, transports, options, logger);
      expect(sms.state).toBe('OPEN');
      expect(provider.requests.length - before).toBe(2);
      const rows = await own.handle.db.select().from(outboundMessages);
      expect(rows.every((r) => r.status === 'QUEUED')).toBe(true);
      // Two calls failed; every other try met the open circuit and gave its attempt back.
      expect(rows.reduce((sum, r) => sum + r.attempts, 0)).toBe(2);
      expect(rows.some((r) => /circuit open/.test(r.lastError ?? ''))).toBe(true);

      provider.setDown(false);
      await new Promise((r) => setTimeout(r, 450));
      await dispatchDueMessages(own.handle.db, transports, options, logger);
      expect(sms.state).toBe('CLOSED');
      const sent = await own.handle.db.select().from(outboundMessages);
      expect(sent.map((r) => r.status)).toEqual(['SENT', 'SENT', 'SENT']);
      expect(new Set(ids)).toEqual(new Set(sent.map((r) => r.id)));
    } finally {
      provider.setDown(false);
      await own.close();
    }
  });
});

describe('two replicas', () => {
  it('stores 100 concurrent sends and sends each exactly once with two dispatchers running', async () => {
    const customerId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => gql(['SupportAgent'], SEND, { input: { customerId, to: '+34600123456', body: `Message ${i}` } })),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const ids = results.map((r) => r.data.sendSms.id as string);
    expect(new Set(ids).size).toBe(100);
    const db = database.handles.interaction.db;
    await eventually(
      async () => (await db.select({ status: outboundMessages.status }).from(outboundMessages).where(eq(outboundMessages.customerId, customerId))).filter((m) => m.status === 'SENT').length,
      (sent) => sent === 100,
      60_000,
    );
    const requests = provider.requests.filter((r) => ids.includes(r.body.reference ?? ''));
    expect(requests).toHaveLength(100);
    expect(new Set(requests.map((r) => r.body.reference)).size).toBe(100);
    expect(new Set(requests.map((r) => r.body.body))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `Message ${i}`)));
    const rows = await db.select().from(outboundMessages).where(eq(outboundMessages.customerId, customerId));
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const logged = await db.select({ id: interactions.id }).from(interactions).where(eq(interactions.customerId, customerId));
    expect(logged).toHaveLength(100);
  }, 90_000);
});
