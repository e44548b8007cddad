import { sql } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InProcessEventBus,
  OutboxRelay,
  createLogger,
  defineOutbox,
  nudgeOutbox,
  openDatabase,
  recordEvent,
  type CloudEvent,
  type DatabaseHandle,
} from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts';

const relaySchema = pgSchema('relay_spec');
const outbox = defineOutbox(relaySchema);
const logger = createLogger({ name: 'spec', level: 'silent' });
let database: TestDatabase;
let handle: DatabaseHandle;

beforeAll(async () => {
  database = await createTestDatabase([]);
  handle = await openDatabase({ schema: 'relay_spec', url: database.url, pglite: database.pglite });
  // The table a subgraph's drizzle migration creates from defineOutbox.
  await handle.db.execute(sql`create schema relay_spec`);
  await handle.db.execute(sql`
    create table relay_spec.outbox (
      id bigserial primary key, event_id uuid not null unique, type text not null, source text not null,
      aggregate_type text not null, aggregate_id text not null, customer_id uuid, data jsonb not null,
      traceparent text, occurred_at timestamptz not null default now(), published_at timestamptz,
      attempts integer not null default 0, last_error text)`);
});
afterAll(async () => {
  await handle?.close();
  await database?.close();
});

async function record(aggregateId: string, n: number) {
  await handle.db.transaction((tx) =>
    recordEvent(tx, outbox, { source: 'cmp.spec', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, {
      type: 'cmp.spec.Happened',
      aggregateType: 'Thing',
      aggregateId,
      customerId: '6f1c1d2e-8a0b-4c1d-9e2f-3a4b5c6d7e8f',
      data: { n },
    }),
  );
}

describe('outbox relay', () => {
  it('publishes committed events in order as CloudEvents and marks them sent', async () => {
    const bus = new InProcessEventBus(logger);
    const seen: CloudEvent[] = [];
    bus.subscribe({ consumer: 'spec', types: ['cmp.spec.Happened'], handler: async (e) => void seen.push(e) });
    for (let n = 1; n <= 5; n++) await record('a', n);
    const relay = new OutboxRelay({ db: handle.db, outbox, bus, logger, lockName: 'spec' });
    expect(await relay.drain()).toEqual({ published: 5, failed: false });
    expect(seen.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[0]).toMatchObject({
      specversion: '1.0',
      source: 'cmp.spec',
      type: 'cmp.spec.Happened',
      subject: 'Thing/a',
      customerid: '6f1c1d2e-8a0b-4c1d-9e2f-3a4b5c6d7e8f',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(await relay.drain()).toEqual({ published: 0, failed: false });
  });

  it('does not publish an event whose transaction rolled back', async () => {
    const bus = new InProcessEventBus(logger);
    const seen: unknown[] = [];
    bus.subscribe({ consumer: 'spec', types: ['cmp.spec.Happened'], handler: async (e) => void seen.push(e.data) });
    await expect(
      handle.db.transaction(async (tx) => {
        await recordEvent(tx, outbox, { source: 'cmp.spec' }, { type: 'cmp.spec.Happened', aggregateType: 'Thing', aggregateId: 'rb', data: { n: 99 } });
        throw new Error('business rule broke after the event was written');
      }),
    ).rejects.toThrow('business rule');
    await new OutboxRelay({ db: handle.db, outbox, bus, logger, lockName: 'spec' }).drain();
    expect(seen).toEqual([]);
  });

  it('keeps a refused event and everything after it, records the attempt, and delivers them in order later', async () => {
    const bus = new InProcessEventBus(logger);
    const seen: number[] = [];
    let down = true;
    bus.subscribe({
      consumer: 'flaky',
      types: ['cmp.spec.Happened'],
      handler: async (e) => {
        if (down && e.data.n === 11) throw new Error('consumer database unavailable');
        seen.push(e.data.n as number);
      },
    });
    for (const n of [10, 11, 12]) await record('b', n);
    const relay = new OutboxRelay({ db: handle.db, outbox, bus, logger, lockName: 'spec' });
    expect(await relay.drain()).toEqual({ published: 1, failed: true });
    const [stuck] = await handle.db.select().from(outbox).where(sql`${outbox.data}->>'n' = '11'`);
    expect(stuck).toMatchObject({ attempts: 1, lastError: expect.stringContaining('flaky'), publishedAt: null });

    down = false;
    expect(await relay.drain()).toEqual({ published: 2, failed: false });
    expect(seen).toEqual([10, 11, 12]);
  });

  it("holds back only the refused event's own aggregate: the others go out meanwhile", async () => {
    const bus = new InProcessEventBus(logger);
    const seen: string[] = [];
    let down = true;
    bus.subscribe({
      consumer: 'per-aggregate',
      types: ['cmp.spec.Happened'],
      handler: async (e) => {
        if (down && e.data.n === 21) throw new Error('refused');
        seen.push(`${e.subject}:${e.data.n}`);
      },
    });
    for (const [aggregate, n] of [['c', 20], ['c', 21], ['d', 30], ['c', 22], ['d', 31]] as const) await record(aggregate, n);
    const relay = new OutboxRelay({ db: handle.db, outbox, bus, logger, lockName: 'spec' });
    expect(await relay.drain()).toEqual({ published: 3, failed: true });
    expect(seen.filter((e) => e.startsWith('Thing/d'))).toEqual(['Thing/d:30', 'Thing/d:31']);
    expect(seen.filter((e) => e.startsWith('Thing/c'))).toEqual(['Thing/c:20']);
    down = false;
    expect(await relay.drain()).toEqual({ published: 2, failed: false });
    expect(seen.filter((e) => e.startsWith('Thing/c'))).toEqual(['Thing/c:20', 'Thing/c:21', 'Thing/c:22']);
  });

  it('goes out at once when nudged, without waiting for its next poll', async () => {
    const bus = new InProcessEventBus(logger);
    const seen: number[] = [];
    bus.subscribe({ consumer: 'nudged', types: ['cmp.spec.Happened'], handler: async (e) => void seen.push(e.data.n as number) });
    const relay = new OutboxRelay({ db: handle.db, outbox, bus, logger, lockName: 'nudge-spec', pollIntervalMs: 60_000 });
    relay.start();
    try {
      await new Promise((r) => setTimeout(r, 300)); // its first drain is done; the next poll is a minute away
      await record('e', 40);
      nudgeOutbox('nudge-spec');
      await expect.poll(() => seen, { timeout: 1_000, interval: 20 }).toEqual([40]);
    } finally {
      await relay.stop();
    }
  });
});
