import { randomUUID } from 'node:crypto';
import { connect, JSONCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NatsEventBus, createLogger, eventStreams, type CloudEvent } from '../src/index.ts';
import { deleteEventStreams } from '../src/testing/index.ts';

/** The run's real NATS server, found or started by the global setup (which fails the run without one). */
const url = inject('cmpNatsUrl');
const logger = createLogger({ name: 'test', level: 'silent' });
/** This run's own stream, so runs sharing the server never see each other's events. */
const namespace = `t${randomUUID().slice(0, 8)}`;

const eventOf = (type: string, n: number): CloudEvent => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'cmp.test',
  type,
  subject: `Thing/${n}`,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: { n },
});

async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the NATS JetStream bus', () => {
  const buses: NatsEventBus[] = [];
  const bus = async (extra: Partial<Parameters<typeof NatsEventBus.connect>[0]> = {}) => {
    const b = await NatsEventBus.connect({ url, name: 'test', logger, namespace, retryDelaysMs: [20, 20, 20], ...extra });
    buses.push(b);
    return b;
  };
  let type: string;
  beforeAll(() => {
    type = `cmp.test${randomUUID().slice(0, 8)}.Happened`;
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await deleteEventStreams(url, namespace);
  });

  it('delivers every event once, in order, to a durable consumer, and drops a republished duplicate', async () => {
    const b = await bus();
    const seen: number[] = [];
    b.subscribe({ consumer: `order-${randomUUID()}`, types: [type], handler: async (e) => void seen.push(e.data.n as number) });
    await b.ready();
    const events = Array.from({ length: 20 }, (_, n) => eventOf(type, n));
    for (const e of events) await b.publish(e);
    await b.publish(events[3]!); // the relay crashed after publishing and publishes again
    await until(() => seen.length >= 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(events.map((e) => e.data.n));
  });

  it('gives a consumer of several types only those, in order', async () => {
    const prefix = `cmp.test${randomUUID().slice(0, 8)}`;
    const b = await bus();
    const seen: string[] = [];
    b.subscribe({ consumer: `multi-${randomUUID().slice(0, 8)}`, types: [`${prefix}.A`, `${prefix}.B`], handler: async (e) => void seen.push(e.type) });
    await b.ready();
    for (const t of ['A', 'C', 'B', 'A']) await b.publish(eventOf(`${prefix}.${t}`, 0));
    await until(() => seen.length >= 3);
    expect(seen).toEqual([`${prefix}.A`, `${prefix}.B`, `${prefix}.A`]);
  });

  it('gives a consumer of independent types each of them once, and a split consumer carries on where the combined one stopped', async () => {
    const prefix = `cmp.test${randomUUID().slice(0, 8)}`;
    const name = `split-${randomUUID().slice(0, 8)}`;
    const types = [`${prefix}.A`, `${prefix}.B`];
    const b = await bus();
    const first: number[] = [];
    // The same consumer as one that needs the order across its types: a single JetStream consumer.
    const stop = b.subscribe({ consumer: name, types, handler: async (e) => void first.push(e.data.n as number) });
    await b.ready();
    await b.publish(eventOf(`${prefix}.A`, 1));
    await b.publish(eventOf(`${prefix}.B`, 2));
    await until(() => first.length === 2);
    await new Promise((r) => setTimeout(r, 100)); // the second acknowledgement reaches the server
    stop();
    for (const [t, n] of [['A', 3], ['C', 4], ['B', 5], ['A', 6]] as const) await b.publish(eventOf(`${prefix}.${t}`, n));

    const later: string[] = [];
    b.subscribe({ consumer: name, types, orderedWithin: 'type', handler: async (e) => void later.push(`${e.type.split('.').at(-1)}${e.data.n}`) });
    await b.ready();
    await until(() => later.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    // Nothing applied before is applied again, nothing published meanwhile is missed, C never arrives.
    expect(later.sort()).toEqual(['A3', 'A6', 'B5']);
    const nc = await connect({ servers: url });
    try {
      const jsm = await nc.jetstreamManager();
      const names: string[] = [];
      for await (const info of jsm.consumers.list(eventStreams(namespace).events)) names.push(info.name);
      const version = nc.info!.version.split('.').map(Number);
      const multiFilter = version[0]! > 2 || (version[0] === 2 && version[1]! >= 10);
      // A server that filters on several subjects keeps one consumer; an older one has one per type and no combined one.
      const source = prefix.split('.')[1];
      expect(names.filter((n) => n.startsWith(name)).sort()).toEqual(multiFilter ? [name] : [`${name}_${source}_A`, `${name}_${source}_B`]);
    } finally {
      await nc.close();
    }
  });

  it('a combined consumer replacing split ones (a move to NATS 2.10) carries on where each of them stopped and removes them', async () => {
    const prefix = `cmp.test${randomUUID().slice(0, 8)}`;
    const name = `rejoin-${randomUUID().slice(0, 8)}`;
    const types = [`${prefix}.A`, `${prefix}.B`];
    const b = await bus();
    const first: string[] = [];
    const label = (e: CloudEvent) => `${e.type.split('.').at(-1)}${e.data.n}`;
    const stop = b.subscribe({ consumer: name, types, orderedWithin: 'type', handler: async (e) => void first.push(label(e)) });
    await b.ready();
    // A is applied up to A1; B, later in the stream, up to B3: a combined consumer must not apply either again.
    for (const [t, n] of [['A', 1], ['B', 2], ['B', 3]] as const) await b.publish(eventOf(`${prefix}.${t}`, n));
    await until(() => first.length === 3);
    await new Promise((r) => setTimeout(r, 100)); // the acknowledgements reach the server
    stop();
    for (const [t, n] of [['A', 4], ['C', 5], ['B', 6]] as const) await b.publish(eventOf(`${prefix}.${t}`, n));

    // The same consumer without a split (as on a server that filters on several subjects): one JetStream consumer.
    const later: string[] = [];
    b.subscribe({ consumer: name, types, handler: async (e) => void later.push(label(e)) });
    await b.ready();
    await until(() => later.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(later).toEqual(['A4', 'B6']);
    const nc = await connect({ servers: url });
    try {
      const jsm = await nc.jetstreamManager();
      const names: string[] = [];
      for await (const info of jsm.consumers.list(eventStreams(namespace).events)) names.push(info.name);
      expect(names.filter((n) => n.startsWith(name))).toEqual([name]);
    } finally {
      await nc.close();
    }
  });

  it('gives a consumer ordered within each source its events in each source subgraph\'s order, and never another source\'s', async () => {
    const [one, two, other] = [0, 1, 2].map(() => `cmp.test${randomUUID().slice(0, 8)}`) as [string, string, string];
    const name = `sources-${randomUUID().slice(0, 8)}`;
    const b = await bus();
    const seen: string[] = [];
    b.subscribe({ consumer: name, types: [`${one}.A`, `${one}.B`, `${two}.C`], orderedWithin: 'source', handler: async (e) => void seen.push(`${e.type}${e.data.n}`) });
    await b.ready();
    for (const [type, n] of [[`${one}.A`, 1], [`${two}.C`, 2], [`${other}.A`, 3], [`${one}.B`, 4], [`${one}.A`, 5]] as const) await b.publish(eventOf(type, n));
    await until(() => seen.length >= 4);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((s) => s.startsWith(one))).toEqual([`${one}.A1`, `${one}.B4`, `${one}.A5`]);
    expect(seen.filter((s) => !s.startsWith(one))).toEqual([`${two}.C2`]);
  });

  it('keeps apart types of different subgraphs that end alike when it splits by type', async () => {
    const [one, two] = [0, 1].map(() => `cmp.test${randomUUID().slice(0, 8)}`) as [string, string];
    const b = await bus();
    const seen: string[] = [];
    const name = `alike-${randomUUID().slice(0, 8)}`;
    b.subscribe({ consumer: name, types: [`${one}.Ready`, `${two}.Ready`], orderedWithin: 'type', handler: async (e) => void seen.push(e.type) });
    await b.ready();
    await b.publish(eventOf(`${one}.Ready`, 1));
    await b.publish(eventOf(`${two}.Ready`, 2));
    await until(() => seen.length >= 2);
    expect(seen.sort()).toEqual([`${one}.Ready`, `${two}.Ready`].sort());
    // Each type has its own consumer filtered on its own subject, not one that reads every subgraph's events.
    const nc = await connect({ servers: url });
    try {
      const version = nc.info!.version.split('.').map(Number);
      const jsm = await nc.jetstreamManager();
      const filters: string[] = [];
      for await (const info of jsm.consumers.list(eventStreams(namespace).events)) if (info.name.startsWith(name)) filters.push(info.config.filter_subject ?? '');
      if (version[0] === 2 && version[1]! < 10) expect(filters.sort()).toEqual([`${namespace}.${one.split('.')[1]}.Ready`, `${namespace}.${two.split('.')[1]}.Ready`].sort());
    } finally {
      await nc.close();
    }
  });

  it('gives a consumer of every event all of them', async () => {
    const prefix = `cmp.test${randomUUID().slice(0, 8)}`;
    const b = await bus();
    const seen = new Set<string>();
    b.subscribe({ consumer: `all-${randomUUID().slice(0, 8)}`, types: ['*'], handler: async (e) => void seen.add(e.type) });
    await b.ready();
    for (const t of ['X', 'Y']) await b.publish(eventOf(`${prefix}.${t}`, 0));
    await until(() => seen.has(`${prefix}.X`) && seen.has(`${prefix}.Y`));
  });

  it('redelivers a failed event until it is applied, then a poisoned one goes to the dead-letter subject and the rest flows', async () => {
    const t = `cmp.test${randomUUID().slice(0, 8)}.Failing`;
    const consumer = `retry-${randomUUID().slice(0, 8)}`;
    const b = await bus({ maxDeliver: 3 });
    const attempts = new Map<number, number>();
    const applied: number[] = [];
    b.subscribe({
      consumer,
      types: [t],
      handler: async (e) => {
        const n = e.data.n as number;
        attempts.set(n, (attempts.get(n) ?? 0) + 1);
        if (n === 1 && attempts.get(n)! < 2) throw new Error('database briefly down');
        if (n === 2) throw new Error('this event can never be applied');
        applied.push(n);
      },
    });
    await b.ready();
    for (const n of [1, 2, 3]) await b.publish(eventOf(t, n));
    await until(() => applied.includes(3));
    expect(applied).toEqual([1, 3]);
    expect(attempts.get(1)).toBe(2);
    expect(attempts.get(2)).toBe(3);

    const nc = await connect({ servers: url });
    const jsm = await nc.jetstreamManager();
    const dead = await jsm.streams.getMessage(eventStreams(namespace).deadLetters, { last_by_subj: `${namespace}-dlq.${consumer}` });
    expect(JSONCodec<CloudEvent>().decode(dead.data).data).toEqual({ n: 2 });
    expect(dead.header.get('cmp-error')).toBe('this event can never be applied');
    await nc.close();
  });

  it('shares one durable consumer between replicas: each event is applied by exactly one of them', async () => {
    const t = `cmp.test${randomUUID().slice(0, 8)}.Shared`;
    const consumer = `shared-${randomUUID().slice(0, 8)}`;
    const [a, b] = [await bus(), await bus()];
    const handledBy = new Map<number, string[]>();
    for (const [name, replica] of [['a', a], ['b', b]] as const) {
      replica.subscribe({ consumer, types: [t], handler: async (e) => void handledBy.set(e.data.n as number, [...(handledBy.get(e.data.n as number) ?? []), name]) });
    }
    await Promise.all([a.ready(), b.ready()]);
    for (let n = 0; n < 30; n += 1) await a.publish(eventOf(t, n));
    await until(() => handledBy.size === 30);
    await new Promise((r) => setTimeout(r, 300));
    expect([...handledBy.values()].every((by) => by.length === 1)).toBe(true);
  });
});
