import { startGateway, type RunningGateway } from '@cmp/gateway';
import {
  InProcessEventBus,
  NatsEventBus,
  OutboxRelay,
  createLogger,
  nudgeOutbox,
  type EventBus,
  createTokenVerifier,
  openDatabase,
  prepareDatabase,
  startSubgraph,
  type DatabaseHandle,
  type Logger,
  type RunningSubgraph,
  type Settings,
  type SubgraphDefinition,
  type SubgraphName,
  type TokenVerifier,
} from '@cmp/platform';
import { readSupergraphSdl } from '@cmp/schema';
import { ALL_SUBGRAPHS } from './subgraphs.ts';

export interface RunningPlatform {
  gateway: RunningGateway;
  subgraphs: RunningSubgraph[];
  databases: DatabaseHandle[];
  bus: EventBus;
  relays: OutboxRelay[];
  close(): Promise<void>;
}

/** NATS JetStream when `NATS_URL` is set (events cross processes and replicas), else the in-process bus. */
export async function openEventBus(settings: Settings, name: string, logger: Logger): Promise<EventBus> {
  const log = logger.child({ component: 'event-bus' });
  return settings.natsUrl ? NatsEventBus.connect({ url: settings.natsUrl, name, logger: log, namespace: settings.eventsNamespace }) : new InProcessEventBus(log);
}

/**
 * Delivers every subgraph's outbox to the bus and subscribes each subgraph's consumers: in one process with the
 * in-process bus, or per service over NATS (a lone service without NATS keeps its events in the outbox).
 */
export function startEventDelivery(
  bus: EventBus,
  wiring: { definition: SubgraphDefinition<unknown>; database: DatabaseHandle }[],
  logger: Logger,
): OutboxRelay[] {
  for (const { definition, database } of wiring) {
    for (const consumer of definition.consumers ?? []) {
      bus.subscribe({
        consumer: consumer.name,
        types: consumer.types,
        ...(consumer.orderedWithin ? { orderedWithin: consumer.orderedWithin } : {}),
        handler: async (event) => {
          await consumer.handle(database.db, event);
          nudgeOutbox(definition.name); // what the consumer recorded in turn goes out now
        },
      });
    }
  }
  return wiring.map(({ definition, database }) => {
    const relay = new OutboxRelay({
      db: database.db,
      outbox: definition.outbox,
      bus,
      logger: logger.child({ component: 'outbox-relay', service: definition.name }),
      lockName: definition.name,
    });
    relay.start();
    return relay;
  });
}

export function openSubgraphDatabase(settings: Settings, definition: SubgraphDefinition<unknown>): Promise<DatabaseHandle> {
  return openDatabase({
    schema: definition.name,
    url: settings.databaseUrls[definition.name],
    dataDir: settings.dataDir,
    poolSize: settings.databasePoolSize,
  });
}

export async function startOneSubgraph(
  settings: Settings,
  definition: SubgraphDefinition<unknown>,
  database: DatabaseHandle,
  verifier: TokenVerifier,
  logger: Logger,
  port = settings.subgraphPorts[definition.name],
): Promise<RunningSubgraph> {
  const log = logger.child({ service: definition.name });
  definition.configure?.(settings, log);
  const background = await definition.start?.({ db: database.db, settings, logger: log });
  try {
    const running = await startSubgraph({
      definition,
      database,
      verifier,
      logger: log,
      port,
      host: settings.gateway.host,
      introspection: settings.introspectionEnabled,
      maxRequestBytes: settings.gateway.maxRequestBytes,
      trustedProxies: settings.trustedProxies,
    });
    return {
      ...running,
      async close() {
        await running.close();
        await background?.stop();
      },
    };
  } catch (error) {
    await background?.stop();
    throw error;
  }
}

/**
 * The whole platform in one process: five subgraphs on their own HTTP ports and the gateway in front, each
 * subgraph on its own database (PGlite directory or Postgres schema). `ephemeralPorts` picks free ports.
 */
export async function startPlatform(
  settings: Settings,
  options: { migrate?: boolean; ephemeralPorts?: boolean; logger?: Logger } = {},
): Promise<RunningPlatform> {
  const logger = options.logger ?? createLogger({ name: 'cmp', level: settings.logLevel });
  const verifier = await createTokenVerifier(settings);
  const databases: DatabaseHandle[] = [];
  const subgraphs: RunningSubgraph[] = [];
  const bus = await openEventBus(settings, 'cmp', logger);
  let relays: OutboxRelay[] = [];
  try {
    for (const definition of ALL_SUBGRAPHS) {
      const database = await openSubgraphDatabase(settings, definition);
      databases.push(database);
      if (options.migrate ?? true) await prepareDatabase(definition, database);
      // A subgraph that calls another (invitation asks loyalty) finds it where it really listens.
      const started = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
      subgraphs.push(
        await startOneSubgraph(
          { ...settings, subgraphUrls: { ...settings.subgraphUrls, ...started } },
          definition,
          database,
          verifier,
          logger,
          options.ephemeralPorts ? 0 : undefined,
        ),
      );
    }
    relays = startEventDelivery(
      bus,
      ALL_SUBGRAPHS.map((definition, i) => ({ definition, database: databases[i]! })),
      logger,
    );
    const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url])) as Record<SubgraphName, string>;
    const gateway = await startGateway({
      settings,
      supergraphSdl: readSupergraphSdl(),
      verifier,
      logger: logger.child({ service: 'gateway' }),
      subgraphUrls,
      events: bus,
      ...(options.ephemeralPorts ? { port: 0 } : {}),
    });
    return {
      gateway,
      subgraphs,
      databases,
      bus,
      relays,
      async close() {
        await gateway.close();
        await Promise.all(subgraphs.map((s) => s.close()));
        await Promise.all(relays.map((r) => r.stop()));
        await bus.close();
        await Promise.all(databases.map((d) => d.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(relays.map((r) => r.stop()));
    await Promise.allSettled(subgraphs.map((s) => s.close()));
    await bus.close().catch(() => {});
    await Promise.allSettled(databases.map((d) => d.close()));
    throw error;
  }
}
