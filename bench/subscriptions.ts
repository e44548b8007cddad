/**
 * Live invitation cards at scale: 2,000 customer apps (2,000 customers, each with its own token) each hold a
 * graphql-ws connection to the gateway and a subscription to their own invitation's status, while 200 status
 * events a second arrive on NATS. For each event the gateway reads the invitation with that subscriber's token,
 * and the platform reacts as to a real event (the interaction subgraph puts it on the customer's timeline).
 *
 *   pnpm bench:subscriptions                                       # 2,000 subscribers, 200 events/s, 30 s
 *   BENCH_SUBSCRIBERS=5000 BENCH_RATE=500 BENCH_SECONDS=60 pnpm bench:subscriptions
 *
 * One process per service (the gateway alone in its process, so its memory is its own); NATS on 127.0.0.1:4222.
 * The events are published straight onto the bus, so the latency is from the bus to the client (the outbox's
 * share is measured by bench:outbox). Memory per idle subscription is the gateway's growth from before the
 * clients connected to after they all subscribed, divided by their number.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { JSONCodec, connect } from 'nats';
import postgres from 'postgres';
import WebSocket from 'ws';
import { readKeyRing } from '@cmp/subgraph-invitation/qr-keys';
import { cpuMeter, databaseUrl, percentile, startBenchPlatform, urlOf } from './support.ts';

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 2_000);
const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const namespace = `bench${Date.now().toString(36)}`;

const platform = await startBenchPlatform({ NATS_URL: natsUrl, EVENTS_NAMESPACE: namespace }, 'processes');
const gatewayPid = platform.pids.gateway!;
const admin = await platform.token(['Admin']);
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });

// Each app is its own customer with its own token. The first customer is created through the API (the warm-up reads
// it across subgraphs); the others are ids only, since nothing on the measured path reads a customer record.
const { createCustomer } = await platform.graphql(admin, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
  i: { type: 'INDIVIDUAL', firstName: 'Live', lastName: 'Card', primaryEmail: `live.${Date.now()}@example.com` },
});
const customerIds = [createCustomer.id as string, ...Array.from({ length: subscribers - 1 }, () => randomUUID())];
const keys = await readKeyRing(platform.settings.invitation.qrKeysFile);
const cards = await sql<{ id: string; customer_id: string }[]>`
  insert into invitation.invitations (customer_id, lounge_code, valid_from, valid_until, guests, flight_number, issued_by, qr_key_id)
  select customer_id, 'MAD-VELAZQUEZ', now() - interval '1 hour', now() + interval '6 hours', 0, 'IB6253', 'bench', ${keys.activeKeyId}
  from unnest(${customerIds}::uuid[]) as customer_id
  returning id, customer_id`;
const invitations = cards.map((r) => r.id);
const customerOf = new Map(cards.map((r) => [r.id, r.customer_id]));

/** The gateway's resident memory and heap, from /proc and its /metrics. */
async function gatewayMemory() {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gatewayPid}/status`, 'utf8'))![1]) * 1024;
  const metrics = await (await fetch(new URL('/metrics', urlOf('gateway')))).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
  return { rss, heap };
}

// Warm the gateway's paths once, then let it settle before measuring its memory.
await platform.graphql(admin, 'query($id: ID!) { invitation(id: $id) { id status customer { displayName } } }', { id: invitations[0] });
await new Promise((r) => setTimeout(r, 2_000));
const before = await gatewayMemory();

const sentAt = new Map<string, number[]>();
const latencies: number[] = [];
let received = 0;
let failures = 0;
const clients = await Promise.all(invitations.map(async (invitationId) => {
  const appToken = await platform.token(['Customer'], { customerId: customerOf.get(invitationId)! });
  const client = createClient({
    url: urlOf('gateway').replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${appToken}` },
    retryAttempts: 0,
  });
  client.subscribe(
    { query: 'subscription($id: ID!) { invitationStatusChanged(invitationId: $id) { id status entriesUsed entriesRemaining validUntil } }', variables: { id: invitationId } },
    {
      next: (result) => {
        const at = sentAt.get(invitationId)?.shift();
        if (result.errors || at === undefined) failures++;
        else latencies.push(Date.now() - at);
        received++;
      },
      error: () => failures++,
      complete: () => {},
    },
  );
  return client;
}));
const metricsUrl = new URL('/metrics', urlOf('gateway'));
for (let i = 0; ; i++) {
  const served = Number(/cmp_gateway_subscriptions\{field="invitationStatusChanged"\} (\d+)/.exec(await (await fetch(metricsUrl)).text())?.[1] ?? 0);
  if (served >= subscribers) break;
  if (i > 600) throw new Error(`only ${served} of ${subscribers} subscribed after 60 s`);
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 2_000));
const idle = await gatewayMemory();

const nc = await connect({ servers: natsUrl });
const js = nc.jetstream();
const codec = JSONCodec();
let sent = 0;
const meter = cpuMeter(platform.pids);
// This process holds every client: its own event-loop delay is part of each measured latency.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const started = Date.now();
for (let tick = 0; Date.now() - started < seconds * 1_000; tick++) {
  const due = Math.floor(((tick + 1) * rate) / 100) - Math.floor((tick * rate) / 100);
  for (let i = 0; i < due; i++) {
    const invitationId = invitations[Math.floor(Math.random() * invitations.length)]!;
    const now = Date.now();
    sentAt.set(invitationId, [...(sentAt.get(invitationId) ?? []), now]);
    sent++;
    void js.publish(
      `${namespace}.invitation.InvitationStatusChanged`,
      codec.encode({
        specversion: '1.0',
        id: randomUUID(),
        source: 'cmp.invitation',
        type: 'cmp.invitation.InvitationStatusChanged',
        subject: `Invitation/${invitationId}`,
        time: new Date(now).toISOString(),
        datacontenttype: 'application/json',
        data: { invitationId, customerId: customerOf.get(invitationId), loungeCode: 'MAD-VELAZQUEZ', previousStatus: 'ISSUED', status: 'ISSUED', reason: 'bench' },
        customerid: customerOf.get(invitationId),
      }),
    );
  }
  await new Promise((r) => setTimeout(r, Math.max(0, started + (tick + 1) * 10 - Date.now())));
}
for (let i = 0; received < sent && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
const cpu = meter(sent);
const loaded = await gatewayMemory();

latencies.sort((a, b) => a - b);
const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
console.table([
  {
    subscribers,
    'events/s': Math.round(sent / ((Date.now() - started) / 1_000)),
    sent,
    delivered: received - failures,
    lost: sent - received,
    errors: failures,
    'p50 ms': percentile(latencies, 50),
    'p95 ms': percentile(latencies, 95),
    'p99 ms': percentile(latencies, 99),
    'max ms': latencies.at(-1),
    'load generator loop delay p99 ms': Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
  },
]);
console.table([
  {
    'gateway RSS before MiB': mib(before.rss),
    'RSS idle subscribed MiB': mib(idle.rss),
    'RSS after load MiB': mib(loaded.rss),
    'KiB RSS per idle subscription': Number(((idle.rss - before.rss) / subscribers / 1024).toFixed(1)),
    'KiB heap per idle subscription': Number(((idle.heap - before.heap) / subscribers / 1024).toFixed(1)),
  },
]);
console.table([Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k.replace('cpu ms/req', 'cpu ms/event'), v]))]);
console.log(`node ${process.version}, one process per service, NATS ${natsUrl}, ${seconds} s; each subscriber its own connection`);
await Promise.all(clients.map((c) => c.dispose()));
await nc.close();
await sql.end();
platform.stop();
process.exit(sent === received && failures === 0 ? 0 : 1);
