import { randomUUID } from 'node:crypto';
import {
  NatsEventBus,
  OutboxRelay,
  createLogger,
  openDatabase,
  prepareDatabase,
  recordEvent,
  resultRows,
  type DatabaseHandle,
} from '@cmp/platform';
import { interactionSubgraph } from '@cmp/subgraph-interaction';
import { loyaltySubgraph } from '@cmp/subgraph-loyalty';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './platform-harness.ts';
import { privateNats, privatePostgres, type RestartableServer } from './private-servers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The outbox and the bus against their own NATS server and Postgres cluster, which the spec kills and restarts
 * while loyalty keeps writing events and interaction keeps projecting them onto timelines over NATS.
 */
describe('losing NATS and then Postgres while events are produced', () => {
  const servers: RestartableServer[] = [];
  const handles: DatabaseHandle[] = [];
  const stops: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const handle of handles) await handle.close().catch(() => {});
    for (const server of servers) await server.dispose();
  });

  it('delivers every committed event, each account\'s in order, and applies none twice', async () => {
    const nats = await privateNats();
    const pg = await privatePostgres();
    servers.push(nats, pg);
    const logger = createLogger({ name: 'outage', level: process.env.LOG_LEVEL ?? 'silent' });
    const loyalty = await openDatabase({ schema: 'loyalty', url: pg.url, poolSize: 4 });
    const interaction = await openDatabase({ schema: 'interaction', url: pg.url, poolSize: 4 });
    handles.push(loyalty, interaction);
    await prepareDatabase(loyaltySubgraph, loyalty);
    await prepareDatabase(interactionSubgraph, interaction);

    const bus = await NatsEventBus.connect({ url: nats.url, name: 'outage', logger, namespace: 'outage', retryDelaysMs: [100, 300, 1_000] });
    stops.push(() => bus.close());
    const timeline = interactionSubgraph.consumers!.find((c) => c.name === 'interaction.timeline')!;
    bus.subscribe({ consumer: timeline.name, types: timeline.types, handler: (event) => timeline.handle(interaction.db, event) });
    // A second consumer checks the order: each account's events must arrive in the order they were committed.
    const lastSeen = new Map<string, number>();
    const firstSeen = new Set<string>();
    const outOfOrder: string[] = [];
    bus.subscribe({
      consumer: 'outage.order-check',
      types: ['cmp.loyalty.LoyaltyTierChanged'],
      handler: async (event) => {
        if (firstSeen.has(event.id)) return; // a redelivery: applied already
        firstSeen.add(event.id);
        const { seq } = event.data as { seq: number };
        if ((lastSeen.get(event.subject) ?? -1) > seq) outOfOrder.push(`${event.subject} ${seq} after ${lastSeen.get(event.subject)}`);
        lastSeen.set(event.subject, seq);
      },
    });
    await bus.ready();
    const relay = new OutboxRelay({ db: loyalty.db, outbox: loyaltySubgraph.outbox, bus, logger, lockName: 'loyalty', pollIntervalMs: 50, maxBackoffMs: 1_000 });
    relay.start();
    stops.push(() => relay.stop());

    let producing = true;
    let refused = 0;
    // Ten accounts, each with a growing sequence of tier changes (a refused write leaves a gap, never a swap).
    const accounts = Array.from({ length: 10 }, () => ({ id: randomUUID(), customerId: randomUUID(), seq: 0 }));
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        const account = accounts[n % accounts.length]!;
        const seq = account.seq++;
        await loyalty.db
          .transaction((tx) =>
            recordEvent(tx, loyaltySubgraph.outbox, { source: 'cmp.loyalty' }, {
              type: 'cmp.loyalty.LoyaltyTierChanged',
              aggregateType: 'LoyaltyAccount',
              aggregateId: account.id,
              customerId: account.customerId,
              data: { fromTier: 'PLATA', toTier: 'ORO', manual: false, seq },
            }),
          )
          .catch(() => refused++);
        await sleep(10);
      }
    })();

    await sleep(1_000);
    await nats.kill();
    await sleep(1_500);
    await nats.start();
    await sleep(1_000);
    await pg.kill();
    await sleep(1_500);
    await pg.start();
    await sleep(1_000);
    producing = false;
    await producer;
    // Postgres really was gone: writes were refused meanwhile (and those events were never committed).
    expect(refused).toBeGreaterThan(0);

    const rows = async (query: ReturnType<typeof sql>) => resultRows<Record<string, any>>(await loyalty.db.execute(query));
    const committed = (await rows(sql`select event_id::text as id from loyalty.outbox`)).map((r) => r.id as string);
    expect(committed.length).toBeGreaterThan(100);
    await eventually(async () => {
      const [applied] = await rows(sql`select count(*)::int as n from interaction.timeline_entries`);
      expect(applied!.n).toBe(committed.length);
    }, 60_000);
    await eventually(async () => expect(firstSeen.size).toBe(committed.length), 30_000);
    expect(outOfOrder).toEqual([]);
    const projected = await rows(sql`select event_id::text as id from interaction.timeline_entries`);
    expect(new Set(projected.map((r) => r.id))).toEqual(new Set(committed));
    // Applied once each: one announcement per entry, nothing left unsent.
    const [announced] = await rows(sql`select count(*)::int as n from interaction.outbox where type = 'cmp.interaction.TimelineEntryAdded'`);
    expect(announced!.n).toBe(committed.length);
    const [pending] = await rows(sql`select count(*)::int as n from loyalty.outbox where published_at is null`);
    expect(pending!.n).toBe(0);
  }, 120_000);
});
