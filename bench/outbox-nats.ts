/**
 * Domain events through the outbox and NATS JetStream, sustained: a producer commits one event per transaction at
 * a fixed rate into a subgraph's outbox (as mutations would), the outbox relay publishes them to NATS, and a
 * durable consumer in another process (as another subgraph's) applies them one at a time, in order.
 *
 *   pnpm bench:outbox                                  # 1,000 events/s for 60 s, NATS on 127.0.0.1:4222
 *   BENCH_RATE=2000 BENCH_SECONDS=30 pnpm bench:outbox
 *
 * Reports what was committed and consumed (they must match, with no duplicate), the commit-to-consumer latency
 * percentiles, and the largest backlog the outbox had.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NatsEventBus, OutboxRelay, createLogger, openDatabase, prepareDatabase, recordEvent, resultRows } from '@cmp/platform';
import { loyaltySubgraph } from '@cmp/subgraph-loyalty';
import { sql } from 'drizzle-orm';
import { databaseUrl, ensureDatabase, percentile } from './support.ts';

const rate = Number(process.env.BENCH_RATE ?? 1_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const namespace = process.env.BENCH_NAMESPACE ?? `bench${Date.now().toString(36)}`;
const logger = createLogger({ name: 'bench-outbox', level: 'warn' });
const TYPE = 'cmp.loyalty.BenchEvent';

interface ConsumerReport {
  consumed: number;
  duplicates: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  drainedAfter: number;
}

/** The consuming service: counts what arrives and how long after its commit, then reports to the producer. */
async function consume() {
  const bus = await NatsEventBus.connect({ url: natsUrl, name: 'bench-consumer', logger, namespace });
  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  bus.subscribe({
    consumer: 'bench.consumer',
    types: [TYPE],
    handler: async (event) => {
      if (seen.has(event.id)) duplicates++;
      seen.add(event.id);
      latencies.push(Date.now() - new Date(event.time).getTime());
    },
  });
  await bus.ready();
  process.send!({ ready: true });
  process.once('message', async ({ expect }: { expect: number }) => {
    const since = Date.now();
    while (seen.size < expect && Date.now() - since < 60_000) await new Promise((r) => setTimeout(r, 100));
    latencies.sort((x, y) => x - y);
    const report: ConsumerReport = {
      consumed: seen.size,
      duplicates,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      drainedAfter: (Date.now() - since) / 1_000,
    };
    process.send!(report);
    await bus.close();
    process.exit(0);
  });
}

async function produce() {
  await ensureDatabase(databaseUrl);
  const database = await openDatabase({ schema: 'loyalty', url: databaseUrl, poolSize: 20 });
  await prepareDatabase(loyaltySubgraph, database);
  const { db } = database;
  const { outbox } = loyaltySubgraph;
  await db.execute(sql`delete from loyalty.outbox where published_at is null`);

  const consumer = fork(fileURLToPath(import.meta.url), ['consumer'], { env: { ...process.env, BENCH_NAMESPACE: namespace }, execArgv: ['--import', 'tsx'] });
  await new Promise((resolve) => consumer.once('message', resolve));
  const bus = await NatsEventBus.connect({ url: natsUrl, name: 'bench-producer', logger, namespace });
  const relay = new OutboxRelay({ db, outbox, bus, logger, lockName: 'loyalty' });
  relay.start();

  let committed = 0;
  let refused = 0;
  let maxBacklog = 0;
  const backlogProbe = setInterval(async () => {
    const [row] = resultRows<{ n: number }>(await db.execute(sql`select count(*)::int as n from loyalty.outbox where published_at is null`));
    maxBacklog = Math.max(maxBacklog, row?.n ?? 0);
  }, 500);

  // Each event its own transaction, `rate` per second spread over 10 ms ticks, at most 200 in flight.
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let tick = 0; Date.now() - started < seconds * 1_000; tick++) {
    const due = Math.floor(((tick + 1) * rate) / 100) - Math.floor((tick * rate) / 100);
    for (let i = 0; i < due; i++) {
      if (inFlight.size >= 200) await Promise.race(inFlight);
      const write = db
        .transaction((tx) =>
          recordEvent(tx, outbox, { source: 'cmp.loyalty' }, {
            type: TYPE,
            aggregateType: 'LoyaltyAccount',
            aggregateId: randomUUID(),
            customerId: randomUUID(),
            data: { n: committed },
          }),
        )
        .then(
          () => committed++,
          () => refused++,
        );
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, started + (tick + 1) * 10 - Date.now())));
  }
  await Promise.all(inFlight);
  const produceSeconds = (Date.now() - started) / 1_000;
  consumer.send({ expect: committed });
  const report = await new Promise<ConsumerReport>((resolve) => consumer.once('message', (m) => resolve(m as ConsumerReport)));
  clearInterval(backlogProbe);

  console.table([
    {
      'target events/s': rate,
      'committed events/s': Math.round(committed / produceSeconds),
      committed,
      consumed: report.consumed,
      duplicates: report.duplicates,
      refused,
      'p50 ms': report.p50,
      'p95 ms': report.p95,
      'p99 ms': report.p99,
      'max ms': report.max,
      'max outbox backlog': maxBacklog,
      'drained after s': Number(report.drainedAfter.toFixed(1)),
    },
  ]);
  console.log(`node ${process.version}, NATS ${natsUrl}, Postgres ${databaseUrl}, ${seconds} s; consumer in its own process`);
  await relay.stop();
  await bus.close();
  await database.close();
  process.exit(report.consumed === committed && report.duplicates === 0 ? 0 : 1);
}

await (process.argv[2] === 'consumer' ? consume() : produce());
