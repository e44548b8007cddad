import {
  AckPolicy,
  DeliverPolicy,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  connect,
  headers,
  nanos,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import { isDatabaseUnavailable } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { ALL_EVENTS, type EventBus, type EventListener, type EventSubscription } from './bus.ts';
import type { CloudEvent } from './envelope.ts';

export interface NatsBusOptions {
  url: string;
  /** The connection's name, shown by the server (e.g. the service). */
  name: string;
  logger: Logger;
  /**
   * Separates deployments sharing one NATS server (and test runs): events travel on `<namespace>.<subgraph>.<Type>`
   * in the stream `<NAMESPACE>_EVENTS`, dead letters in `<NAMESPACE>_DEAD_LETTERS`. Default `cmp`.
   */
  namespace?: string;
  /** Deliveries of one event to one consumer before it goes to the dead-letter subject. */
  maxDeliver?: number;
  /** How long a consumer may take before the event is delivered again. */
  ackWaitMs?: number;
  /** Waits before a failed event is tried again, by attempt. */
  retryDelaysMs?: number[];
}

const codec = JSONCodec<CloudEvent>();

/** The JetStream streams of a namespace: its events and its dead letters. */
export function eventStreams(namespace: string): { events: string; deadLetters: string } {
  return { events: `${namespace.toUpperCase()}_EVENTS`, deadLetters: `${namespace.toUpperCase()}_DEAD_LETTERS` };
}

/**
 * The bus between processes (server mode): NATS JetStream. Events are published on their type as the subject
 * (`cmp.invitation.QrScanned`, under the namespace) with the event id as the message id, so a relay that publishes twice after a crash
 * is deduplicated by the stream. Each consumer is durable (one name, however many replicas; each event goes to one
 * of them) and takes one event at a time in stream order, acknowledging only after it applied it; a failure is
 * retried with backoff, and after `maxDeliver` attempts the event goes to `<namespace>-dlq.<consumer>` with
 * the error, and the consumer moves on. An unavailable database is waited out instead, however long it takes.
 */
export class NatsEventBus implements EventBus {
  private readonly running = new Set<ConsumerMessages>();
  private readonly starting = new Set<Promise<unknown>>();
  private readonly stream: string;
  private readonly deadLetters: string;
  private readonly namespace: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsBusOptions,
  ) {
    this.namespace = options.namespace ?? 'cmp';
    ({ events: this.stream, deadLetters: this.deadLetters } = eventStreams(this.namespace));
  }

  /** `cmp.invitation.QrScanned` travels on `<namespace>.invitation.QrScanned`. */
  private subjectOf(type: string): string {
    return `${this.namespace}${type.slice(type.indexOf('.'))}`;
  }

  static async connect(options: NatsBusOptions): Promise<NatsEventBus> {
    const nc = await connect({ servers: options.url, name: options.name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const jsm = await nc.jetstreamManager();
    const bus = new NatsEventBus(nc, nc.jetstream(), jsm, options);
    await bus.ensureStream(bus.stream, [`${bus.namespace}.>`], { duplicate_window: nanos(2 * 60_000) });
    await bus.ensureStream(bus.deadLetters, [`${bus.namespace}-dlq.>`], {});
    return bus;
  }

  private async ensureStream(name: string, subjects: string[], extra: { duplicate_window?: number }) {
    try {
      await this.jsm.streams.info(name);
    } catch {
      await this.jsm.streams
        .add({ name, subjects, retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: nanos(14 * 24 * 3_600_000), ...extra })
        .catch(async (error: unknown) => {
          // Another process created it first.
          await this.jsm.streams.info(name).catch(() => {
            throw error;
          });
        });
    }
  }

  async publish(event: CloudEvent): Promise<void> {
    await this.js.publish(this.subjectOf(event.type), codec.encode(event), { msgID: event.id, expect: { streamName: this.stream } });
  }

  subscribe(subscription: EventSubscription): () => void {
    let messages: ConsumerMessages[] = [];
    let stopped = false;
    const start = this.startAll(subscription).then((m) => {
      messages = m;
      if (stopped) for (const each of m) each.stop();
    });
    this.starting.add(start);
    void start.finally(() => this.starting.delete(start)).catch((error: unknown) => this.options.logger.error({ err: error, consumer: subscription.consumer }, 'consumer could not start'));
    return () => {
      stopped = true;
      for (const each of messages) each.stop();
    };
  }

  /**
   * A plain NATS subscription on the events' subjects: JetStream stores what is published there and the server
   * also hands every message to each core subscriber, so every gateway replica sees every event without a
   * consumer of its own.
   */
  listen(types: readonly string[], listener: EventListener): () => void {
    const subscriptions = types.map((type) =>
      this.nc.subscribe(this.subjectOf(type), {
        callback: (error, message) => {
          if (error) {
            this.options.logger.warn({ err: error, type }, 'event listener subscription failed');
            return;
          }
          try {
            listener(codec.decode(message.data));
          } catch (failure) {
            this.options.logger.warn({ err: failure, type }, 'event listener failed');
          }
        },
      }),
    );
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  }

  /** Resolves once every subscription so far is consuming. */
  async ready(): Promise<void> {
    await Promise.all(this.starting);
  }

  private get multiFilter(): boolean {
    const [major = 0, minor = 0] = (this.nc.info?.version ?? '0.0').split('.').map(Number);
    return major > 2 || (major === 2 && minor >= 10);
  }

  /**
   * One JetStream consumer or, on a server that cannot filter on several subjects, one per type or per source
   * subgraph as far as the subscription's order reaches (named `<consumer>.<source>.<Type>` or
   * `<consumer>.<source>`). Either shape, replacing the other (a split consumer replacing a combined one, or a
   * combined one replacing split ones after a move to NATS 2.10), starts after what its predecessors had all
   * acknowledged, and they are removed. Events one predecessor had applied and another had not yet reached come
   * again; consumers record what they applied.
   */
  private async startAll(subscription: EventSubscription): Promise<ConsumerMessages[]> {
    const groups = subscription.orderedWithin && !this.multiFilter ? splitGroups(subscription.types, subscription.orderedWithin) : new Map<string, string[]>();
    const combined = durableName(subscription.consumer);
    const info = (name: string) => this.jsm.consumers.info(this.stream, name).catch(() => null);
    const remove = (names: string[]) => Promise.all(names.map((name) => this.jsm.consumers.delete(this.stream, name).catch(() => false)));
    if (groups.size < 2) {
      // Split consumers this one replaces: each type's events up to what its own consumer acknowledged are done.
      const candidates = new Map<string, string[]>();
      for (const mode of ['type', 'source'] as const) {
        const split = splitGroups(subscription.types, mode);
        if (split.size > 1) for (const [key, types] of split) candidates.set(durableName(`${subscription.consumer}.${key}`), types);
      }
      const splits = (await Promise.all([...candidates.keys()].map(info))).filter((i) => i !== null);
      let applied: Map<string, number> | null = null;
      if (splits.length > 0 && !(await info(combined))) {
        applied = new Map();
        for (const split of splits) for (const type of candidates.get(split.name)!) applied.set(this.subjectOf(type), split.ack_floor.stream_seq);
      }
      const startAfter = applied ? Math.min(...applied.values()) : null;
      const started = await this.start(subscription, startAfter, applied);
      await remove(splits.map((i) => i.name));
      return [started];
    }
    const previous = await info(combined);
    const startAfter = previous ? previous.ack_floor.stream_seq : null;
    const started = await Promise.all(
      [...groups].map(([key, types]) => this.start({ ...subscription, consumer: `${subscription.consumer}.${key}`, types }, startAfter)),
    );
    if (previous) await remove([combined]);
    return started;
  }

  /**
   * `startAfter`: a new consumer's first stream sequence is the next one. `applied`: per subject, the sequence up
   * to which its events were applied by a consumer this one replaces (acknowledged here without being handled).
   */
  private async start(subscription: EventSubscription, startAfter: number | null = null, applied: Map<string, number> | null = null): Promise<ConsumerMessages> {
    const durable = durableName(subscription.consumer);
    const maxDeliver = this.options.maxDeliver ?? 5;
    // NATS 2.10 filters on several subjects at once; an older server delivers every event to the consumer, which
    // acknowledges the ones it does not want (order is kept either way).
    const multiFilter = this.multiFilter;
    const everything = subscription.types.includes(ALL_EVENTS);
    const subjects = subscription.types.map((t) => this.subjectOf(t));
    // Without multi-subject filters, the narrowest single one: one subgraph's events when all the types are its.
    const sources = new Set(subjects.map((subject) => subject.split('.')[1]));
    const narrowest = !everything && sources.size === 1 ? `${this.namespace}.${[...sources][0]}.>` : `${this.namespace}.>`;
    const filter =
      !everything && subjects.length === 1
        ? { filter_subject: subjects[0]! }
        : !everything && multiFilter
          ? { filter_subjects: subjects }
          : { filter_subject: narrowest };
    const wanted = everything ? null : new Set(subjects);
    // What an existing consumer may change; where it starts delivering and how it is acknowledged are fixed.
    const mutable = { ...filter, max_deliver: -1, max_ack_pending: 1, ack_wait: nanos(this.options.ackWaitMs ?? 30_000) };
    const deliver =
      startAfter === null ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startAfter + 1 };
    try {
      await this.jsm.consumers.add(this.stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ...deliver, ...mutable });
    } catch {
      // It exists: an earlier start, or another replica.
      await this.jsm.consumers.update(this.stream, durable, mutable);
    }
    const consumer = await this.js.consumers.get(this.stream, durable);
    // A standing pull for many: with one unacknowledged event at a time the server sends the next as soon as the last is acked.
    const messages = await consumer.consume({ max_messages: 256 });
    this.running.add(messages);
    const delays = this.options.retryDelaysMs ?? [200, 1_000, 5_000, 15_000];
    void (async () => {
      for await (const message of messages) {
        if ((wanted && !wanted.has(message.subject)) || (applied && message.seq <= (applied.get(message.subject) ?? 0))) {
          message.ack();
          continue;
        }
        const event = codec.decode(message.data);
        try {
          await subscription.handler(event);
          message.ack();
        } catch (error) {
          const attempt = message.info.redeliveryCount;
          // The consumer's database is down or restarting: wait it out, however long; that is no poison event.
          if (isDatabaseUnavailable(error)) {
            this.options.logger.warn({ err: error, consumer: durable, eventId: event.id }, 'database unavailable; event will be redelivered');
            message.nak(delays[Math.min(attempt - 1, delays.length - 1)]);
            continue;
          }
          if (attempt >= maxDeliver) {
            const h = headers();
            h.set('cmp-consumer', durable);
            h.set('cmp-error', String((error as Error).message ?? error).slice(0, 500));
            h.set('cmp-attempts', String(attempt));
            await this.js.publish(`${this.namespace}-dlq.${durable}`, message.data, { headers: h, msgID: `${durable}:${event.id}` });
            this.options.logger.error({ err: error, consumer: durable, eventId: event.id, type: event.type, attempts: attempt }, 'event sent to the dead-letter subject');
            message.term();
          } else {
            this.options.logger.warn({ err: error, consumer: durable, eventId: event.id, attempt }, 'consumer failed; will be redelivered');
            message.nak(delays[Math.min(attempt - 1, delays.length - 1)]);
          }
        }
      }
      this.running.delete(messages);
    })();
    return messages;
  }

  async close(): Promise<void> {
    await this.ready().catch(() => {});
    for (const messages of this.running) messages.stop();
    await this.nc.drain();
  }
}

/**
 * The consumers a subscription splits into on a server without multi-subject filters: by type
 * (`invitation.QrScanned`; types of different subgraphs may share their last part) or by source subgraph. Nothing
 * to split for a consumer of every event.
 */
function splitGroups(types: readonly string[], orderedWithin: 'type' | 'source'): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  if (types.includes(ALL_EVENTS)) return groups;
  for (const type of types) {
    const [, source, ...rest] = type.split('.');
    const key = orderedWithin === 'type' ? [source, ...rest].join('.') : source!;
    groups.set(key, [...(groups.get(key) ?? []), type]);
  }
  return groups;
}

/** A JetStream durable name: letters, digits, `-` and `_`. */
function durableName(consumer: string): string {
  return consumer.replace(/[^A-Za-z0-9_-]/g, '_');
}
