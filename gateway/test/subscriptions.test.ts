import { randomUUID } from 'node:crypto';
import { signDevToken } from '@cmp/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { liveClient, subscribe, subscribersReady, subscriptionCount } from '../../test/live-client.ts';
import { bearer, enrolledMember, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';

let t: TestPlatform;
let admin: Record<string, string>;
const clients: { dispose(): void | Promise<void> }[] = [];

beforeAll(async () => {
  t = await startTestPlatform();
  admin = bearer(await t.token('Admin'));
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await t?.close();
});

const client = async (token: string | null) => {
  const c = liveClient(t.url, token);
  clients.push(c);
  return c;
};

const member = (tier: string) => enrolledMember(t.url, admin, tier);
const invitation = (customerId: string, loungeCode = 'MAD-VELAZQUEZ') => invitationFor(t.url, admin, customerId, { loungeCode, guests: 0, flightNumber: 'IB3166' });

const scan = async (payload: string, loungeCode = 'MAD-VELAZQUEZ') =>
  post(t.url, 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome } }', { input: { payload, idempotencyKey: randomUUID() } }, bearer(await t.token('LoungeDevice', { loungeCode })));

describe('subscriptions through the gateway (graphql-ws on /graphql)', () => {
  it('tells the customer app its invitation was used, with fields of invitation, customer and loyalty', async () => {
    const customerId = await member('PLATINO');
    const { id, qrCode } = await invitation(customerId);
    const app = await client(await t.token('Customer', { customerId }));
    const live = subscribe(
      app,
      `subscription Card($id: ID!) {
        card: invitationStatusChanged(invitationId: $id) { id status ...Holder }
      }
      fragment Holder on Invitation { customer { id displayName loyalty { tier } } }`,
      { id },
    );
    await subscribersReady(t.url, 'invitationStatusChanged', 1);
    expect((await scan(qrCode.payload)).data.validateQr.outcome).toBe('ADMITTED');
    const [result] = await live.received(1);
    expect(result).toEqual({ data: { card: { id, status: 'USED', customer: { id: customerId, displayName: 'Inés Vidal', loyalty: { tier: 'PLATINO' } } } } });
  });

  it('shows a lounge its scans, and a customer timeline its new entries, as they happen', async () => {
    const customerId = await member('ORO');
    const staff = await client(await t.token('SupportAgent'));
    const door = await client(await t.token('LoungeDevice', { loungeCode: 'MAD-DALI' }));
    const scans = subscribe(staff, 'subscription { qrScanned(loungeCode: "mad-dali") { outcome loungeCode invitation { customer { id loyalty { tier } } } } }');
    const doorScans = subscribe(door, 'subscription { qrScanned(loungeCode: "MAD-DALI") { outcome deviceId } }');
    const timeline = subscribe(staff, 'subscription($c: ID!) { customerTimeline(customerId: $c) { type summary sourceType } }', { c: customerId });
    await subscribersReady(t.url, 'qrScanned', 2);
    await subscribersReady(t.url, 'customerTimeline', 1);

    const { qrCode } = await invitation(customerId, 'MAD-DALI');
    await scan(qrCode.payload, 'MAD-DALI');
    const [seen] = await scans.received(1);
    expect(seen.data.qrScanned).toEqual({ outcome: 'ADMITTED', loungeCode: 'MAD-DALI', invitation: { customer: { id: customerId, loyalty: { tier: 'ORO' } } } });
    expect((await doorScans.received(1))[0].data.qrScanned.outcome).toBe('ADMITTED');

    // The enrolment's entries may still be on their way when the subscription starts; what follows is in order.
    const ofTheVisit = () => timeline.results.map((r) => r.data.customerTimeline).filter((e) => !['PROFILE', 'LOYALTY'].includes(e.type));
    await eventually(async () => expect(ofTheVisit().map((e) => e.type)).toEqual(['INVITATION', 'LOUNGE_VISIT', 'INVITATION']));
    // The only entry (guests: 0) used the invitation up: that is on the timeline too.
    expect(ofTheVisit()[2].summary).toBe('Lounge invitation to MAD-DALI fully used');
    await post(t.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId, channel: 'CALL', direction: 'INBOUND', durationSeconds: 60, summary: 'Asked about the lounge opening hours' },
    }, admin);
    await eventually(async () => expect(ofTheVisit()[3]).toMatchObject({ type: 'COMMUNICATION', sourceType: 'Interaction' }));
  });

  it('lets no one watch what they may not read', async () => {
    const mine = await member('ORO');
    const other = await member('ORO');
    const { id: otherInvitation } = await invitation(other);
    const app = await client(await t.token('Customer', { customerId: mine }));
    const foreignTimeline = subscribe(app, 'subscription($c: ID!) { customerTimeline(customerId: $c) { summary } }', { c: other });
    const foreignCard = subscribe(app, 'subscription($i: ID!) { invitationStatusChanged(invitationId: $i) { status } }', { i: otherInvitation });
    const lounge = subscribe(app, 'subscription { qrScanned(loungeCode: "MAD-VELAZQUEZ") { outcome } }');
    const wrongDoor = subscribe(await client(await t.token('LoungeDevice', { loungeCode: 'MAD-DALI' })), 'subscription { qrScanned(loungeCode: "MAD-VELAZQUEZ") { outcome } }');
    const unknown = subscribe(await client(await t.token('SupportAgent')), 'subscription { qrScanned(loungeCode: "XXX-NOPE") { outcome } }');
    await expect.poll(() => [foreignTimeline, foreignCard, lounge, wrongDoor, unknown].every((s) => s.errors)).toBe(true);
    for (const refused of [foreignTimeline, foreignCard, lounge, wrongDoor]) expect(refused.errors![0].extensions.code).toBe('FORBIDDEN');
    expect(unknown.errors![0]).toMatchObject({ message: 'loungeCode XXX-NOPE was not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('reads an event once for all the subscribers who would get the same answer', async () => {
    const executions = async () => Number(/^cmp_gateway_subscription_executions_total (\d+)/m.exec(await (await fetch(new URL('/metrics', t.url))).text())![1]);
    const screen = await t.token('LoungeDevice', { loungeCode: 'MAD-GOYA', subject: 'goya-screen' });
    const query = 'subscription { qrScanned(loungeCode: "MAD-GOYA") { outcome deviceId } }';
    const before = await subscriptionCount(t.url, 'qrScanned');
    const walls = [subscribe(await client(screen), query), subscribe(await client(screen), query)];
    const staff = subscribe(await client(await t.token('SupportAgent')), query);
    await subscribersReady(t.url, 'qrScanned', before + 3);
    const start = await executions();
    const { qrCode } = await invitation(await member('ORO'), 'MAD-GOYA');
    await scan(qrCode.payload, 'MAD-GOYA');
    for (const live of [...walls, staff]) expect((await live.received(1))[0].data.qrScanned.outcome).toBe('ADMITTED');
    // The two screens share one token and one query: one read for them, one for the agent.
    expect((await executions()) - start).toBe(2);
  });

  it('answers a subscription sent over plain HTTP with a 400 that says where subscriptions are served', async () => {
    const response = await post(t.url, 'subscription { qrScanned(loungeCode: "MAD-DALI") { id } }', {}, admin);
    expect(response.status).toBe(400);
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(response.errors![0]!.message).toMatch(/WebSocket.*graphql-ws/);
  });

  it('closes the connection with 4401 when the token expires', async () => {
    const token = await signDevToken(t.settings, { roles: ['SupportAgent'], expiresIn: '2s' });
    const closed = new Promise<number>((resolve) => {
      const c = liveClient(t.url, token);
      clients.push(c);
      c.on('closed', (event) => resolve((event as { code: number }).code));
      subscribe(c, 'subscription { qrScanned(loungeCode: "MAD-DALI") { id } }');
    });
    expect(await closed).toBe(4401);
  });

  it('disconnects a subscriber that falls behind (1013) instead of queueing without bound', async () => {
    const door = liveClient(t.url, await t.token('LoungeDevice', { loungeCode: 'MAD-DALI' }));
    clients.push(door);
    const closed = new Promise<number>((resolve) => door.on('closed', (event) => resolve((event as { code: number }).code)));
    const before = await subscriptionCount(t.url, 'qrScanned');
    subscribe(door, 'subscription { qrScanned(loungeCode: "MAD-DALI") { id outcome } }');
    await subscribersReady(t.url, 'qrScanned', before + 1);
    // 150 events at once for a lounge: more than a subscriber may have waiting (100) while the first is read.
    const scanId = randomUUID();
    for (let i = 0; i < 150; i++) {
      void t.platform.bus.publish({
        specversion: '1.0',
        id: randomUUID(),
        source: 'cmp.invitation',
        type: 'cmp.invitation.QrScanned',
        subject: `Invitation/${randomUUID()}`,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { scanId, loungeCode: 'MAD-DALI' },
      });
    }
    expect(await closed).toBe(1013);
  });
});

/** A bare WebSocket speaking graphql-transport-ws by hand, to check the server's side of the protocol. */
function rawSocket(protocol: string | null = 'graphql-transport-ws') {
  const url = t.url.replace(/^http/, 'ws');
  const socket = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    messages,
    closed,
    async send(message: unknown) {
      await opened;
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    /** The next message of `type` (already received or still to come). */
    message: (type: string, id?: string) =>
      eventually(async () => {
        const found = messages.find((m) => m.type === type && (id === undefined || m.id === id));
        if (!found) throw new Error(`no ${type} yet: ${JSON.stringify(messages)}`);
        return found;
      }),
    close: () => socket.close(),
  };
}

describe('the graphql-ws protocol, black box against the gateway', () => {
  const init = async (roles: Parameters<TestPlatform['token']>[0] = 'SupportAgent') => {
    const s = rawSocket();
    await s.send({ type: 'connection_init', payload: { authorization: `Bearer ${await t.token(roles)}` } });
    await s.message('connection_ack');
    return s;
  };

  it('closes a connection without the graphql-transport-ws subprotocol (4406)', async () => {
    expect(await rawSocket(null).closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
  });

  it('closes a connection that never sends connection_init (4408)', async () => {
    const s = rawSocket();
    await s.send({ type: 'ping' });
    expect(await s.closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
  });

  it('closes an init without a token or with a bad one (4401), and one whose roles may not subscribe (4403)', async () => {
    const anonymous = rawSocket();
    await anonymous.send({ type: 'connection_init' });
    expect((await anonymous.closed).code).toBe(4401);
    const forged = rawSocket();
    const token = await t.token('Admin');
    await forged.send({ type: 'connection_init', payload: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
    expect(await forged.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^Unauthorized: The token's signature does not verify$/) });
    const analyst = rawSocket();
    await analyst.send({ type: 'connection_init', payload: { token: await t.token('DataAnalyst') } });
    expect(await analyst.closed).toEqual({ code: 4403, reason: 'Forbidden' });
  });

  it('closes on a second connection_init (4429)', async () => {
    const s = await init();
    await s.send({ type: 'connection_init', payload: {} });
    expect((await s.closed).code).toBe(4429);
  });

  it('closes on a subscribe before the acknowledgement (4401)', async () => {
    const s = rawSocket();
    await s.send({ id: '1', type: 'subscribe', payload: { query: '{ lounges { code } }' } });
    expect((await s.closed).code).toBe(4401);
  });

  it('closes on a message that is not of the protocol (4400)', async () => {
    const s = await init();
    await s.send('{"type":"hello"}');
    expect((await s.closed).code).toBe(4400);
  });

  it('closes when a subscription id is reused while it runs (4409)', async () => {
    const s = await init();
    const subscription = { id: 'same', type: 'subscribe', payload: { query: 'subscription { qrScanned(loungeCode: "MAD-DALI") { id } }' } };
    await s.send(subscription);
    await s.send(subscription);
    expect(await s.closed).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
  });

  it('answers ping with pong, echoing the payload', async () => {
    const s = await init();
    await s.send({ type: 'ping', payload: { at: 42 } });
    expect(await s.message('pong')).toEqual({ type: 'pong', payload: { at: 42 } });
    s.close();
  });

  it('reports an invalid operation as an error message and keeps the connection', async () => {
    const s = await init();
    await s.send({ id: 'bad', type: 'subscribe', payload: { query: 'subscription { qrScanned(loungeCode: "MAD-DALI") { nope } }' } });
    const error = await s.message('error', 'bad');
    expect(error.payload[0].message).toBe('Cannot query field "nope" on type "QrScan".');
    await s.send({ id: 'two', type: 'subscribe', payload: { query: 'subscription { qrScanned(loungeCode: "A") { id } qrScanned2: qrScanned(loungeCode: "B") { id } }' } });
    expect((await s.message('error', 'two')).payload[0].message).toMatch(/must select only one top level field/);
    await s.send({ type: 'ping' });
    await s.message('pong');
    s.close();
  });

  it('refuses a subscription field reached through a fragment, keeping the connection', async () => {
    const s = await init();
    await s.send({ id: 'f', type: 'subscribe', payload: { query: 'subscription { ...Door } fragment Door on Subscription { qrScanned(loungeCode: "MAD-DALI") { id } }' } });
    expect((await s.message('error', 'f')).payload[0]).toMatchObject({ message: 'Select the subscription field itself, not through a fragment', extensions: { code: 'BAD_REQUEST' } });
    await s.send({ type: 'ping' });
    await s.message('pong');
    s.close();
  });

  it('runs queries over the socket with the connection token, answering next then complete', async () => {
    const s = await init();
    await s.send({ id: 'q', type: 'subscribe', payload: { query: '{ lounge(code: "MAD-DALI") { code } }' } });
    expect(await s.message('next', 'q')).toEqual({ id: 'q', type: 'next', payload: { data: { lounge: { code: 'MAD-DALI' } } } });
    await s.message('complete', 'q');
    s.close();
  });

  it('stops sending events after the client completes the subscription', async () => {
    const s = await init('Admin');
    const customerId = await member('ORO');
    await s.send({ id: 'tl', type: 'subscribe', payload: { query: `subscription { customerTimeline(customerId: "${customerId}") { type } }` } });
    await subscribersReady(t.url, 'customerTimeline', 1);
    const before = await subscriptionCount(t.url, 'customerTimeline');
    await s.send({ id: 'tl', type: 'complete' });
    await eventually(async () => expect(await subscriptionCount(t.url, 'customerTimeline')).toBe(before - 1));
    const seen = s.messages.length;
    await post(t.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId, channel: 'NOTE', direction: 'INBOUND', summary: 'After the subscription ended' },
    }, admin);
    await new Promise((r) => setTimeout(r, 800));
    expect(s.messages.slice(seen)).toEqual([]);
    s.close();
  });
});
