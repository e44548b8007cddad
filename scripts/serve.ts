/**
 * One service per process, as docker-compose and Kubernetes run them: `tsx scripts/serve.ts <gateway|customer|...>`.
 * Migrations are not applied here; `pnpm db:migrate` runs once per release.
 */
import { startGateway } from '@cmp/gateway';
import { createLogger, createTokenVerifier, loadSettingsOrExit, type RunningServer } from '@cmp/platform';
import { readSupergraphSdl } from '@cmp/schema';
import { openEventBus, openSubgraphDatabase, startEventDelivery, startOneSubgraph } from './platform.ts';
import { ALL_SUBGRAPHS } from './subgraphs.ts';

const service = process.argv[2];
const names = ['gateway', ...ALL_SUBGRAPHS.map((d) => d.name)];
if (!service || !names.includes(service)) {
  process.stderr.write(`usage: tsx scripts/serve.ts <${names.join('|')}>\n`);
  process.exit(2);
}

const settings = loadSettingsOrExit();
const logger = createLogger({ name: service, level: settings.logLevel });
const verifier = await createTokenVerifier(settings);
let running: RunningServer;
let release = async () => {};
if (service === 'gateway') {
  // Subscriptions hear every service's events over NATS; without it the gateway serves queries and mutations only.
  const bus = settings.natsUrl ? await openEventBus(settings, service, logger) : null;
  running = await startGateway({ settings, supergraphSdl: readSupergraphSdl(), verifier, logger, ...(bus ? { events: bus } : {}) });
  release = async () => {
    await bus?.close();
  };
} else {
  const definition = ALL_SUBGRAPHS.find((d) => d.name === service)!;
  const database = await openSubgraphDatabase(settings, definition);
  running = await startOneSubgraph(settings, definition, database, verifier, logger);
  // With NATS, this service relays its outbox and runs its consumers; without, its events wait in the outbox.
  const bus = settings.natsUrl ? await openEventBus(settings, service, logger) : null;
  const relays = bus ? startEventDelivery(bus, [{ definition, database }], logger) : [];
  release = async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await bus?.close();
    await database.close();
  };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    logger.info({ signal }, 'shutting down');
    // A shutdown that hangs (a bus or database that no longer answers) must not keep the process forever.
    setTimeout(() => {
      logger.warn({ signal }, 'shutdown did not finish within 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
    await running.close();
    await release();
    process.exit(0);
  });
}
