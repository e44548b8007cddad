import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express, { type Router } from 'express';
import { defaultFieldResolver, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import proxyAddr from 'proxy-addr';
import { auditPlugin } from '../audit/plugin.ts';
import { auditWriterFor, createAuditRecorder, type AuditRecorder } from '../audit/recorder.ts';
import type { AuditLogTable } from '../audit/table.ts';
import type { Caller } from '../auth/caller.ts';
import { requireOperationAccess } from '../auth/operations.ts';
import type { TokenVerifier } from '../auth/tokens.ts';
import { DEFAULT_TRUSTED_PROXIES, type Settings, type SubgraphName } from '../config.ts';
import type { Database, DatabaseHandle } from '../db/database.ts';
import type { EventContext, OutboxTable } from '../db/outbox.ts';
import type { EventConsumer } from '../events/consumer.ts';
import { nudgeOutbox } from '../events/relay.ts';
import { createErrorFormatter, type ConstraintError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { errorReportingPlugin } from './apollo-plugins.ts';
import { graphqlHttpHandler, isGraphqlPath } from './graphql-http.ts';
import { listen, requestIdFrom, traceparentFrom, type RunningServer } from './http.ts';

/** What every subgraph resolver receives. */
export interface SubgraphContext<TLoaders> {
  caller: Caller;
  requestId: string;
  traceparent: string;
  db: Database;
  loaders: TLoaders;
  log: Logger;
  /** Passed to recordEvent so events carry the subgraph and trace. */
  events: EventContext;
  /** Scheme, host and port this subgraph was called at, for links it hands out (e.g. attachment transfers). */
  origin: string;
  /** The client's address: the last `x-forwarded-for` hop (appended by the gateway), else the socket's peer. */
  clientAddress: string | null;
  /** This request's audit records (mutations are recorded by the platform; resolvers add sensitive reads). */
  audit: AuditRecorder;
}

export interface SubgraphDefinition<TLoaders> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  /** The subgraph's codegen-typed `Resolvers<Context>`; checked against its SDL there, not here. */
  resolvers: object;
  migrationsFolder: string;
  createLoaders(db: Database): TLoaders;
  constraintErrors?: Record<string, ConstraintError>;
  /** Reference data every deployment needs (not demo data), applied idempotently after migrations. */
  seedReferenceData?(db: Database): Promise<void>;
  /** The subgraph's outbox, relayed to the event bus. */
  outbox: OutboxTable;
  /** The subgraph's append-only audit trail (`defineAuditLog`). */
  auditLog: AuditLogTable;
  /**
   * Root mutation fields whose audit rows go through the write-behind buffer instead of delaying the answer
   * (the door scan); every other request writes its audit rows before it answers.
   */
  auditWriteBehind?: string[];
  /** How this subgraph reacts to other subgraphs' events. */
  consumers?: EventConsumer[];
  /** Called once at start with the validated settings, before any request (outside systems, adapters). */
  configure?(settings: Settings, logger: Logger): void;
  /**
   * Called once when the subgraph starts in a process, after `configure` and before it serves: loads what it needs
   * (keys, clients) and starts its background work (jobs, write-behind buffers). `stop` runs after the server has
   * closed and before the database does.
   */
  start?(deps: { db: Database; settings: Settings; logger: Logger }): Promise<{ stop(): Promise<void> }>;
  /** Plain HTTP endpoints beside /graphql (versioned REST for systems that do not speak GraphQL). */
  routes?(router: Router, deps: { db: Database; verifier: TokenVerifier; logger: Logger }): void;
}

export interface StartSubgraphOptions<TLoaders> {
  definition: SubgraphDefinition<TLoaders>;
  database: DatabaseHandle;
  verifier: TokenVerifier;
  logger: Logger;
  port: number;
  host?: string;
  introspection?: boolean;
  maxRequestBytes?: number;
  /** Whose `x-forwarded-for` is believed (see Settings.trustedProxies); loopback and private networks by default. */
  trustedProxies?: string[];
}

export interface RunningSubgraph extends RunningServer {
  name: SubgraphName;
  apollo: ApolloServer<SubgraphContext<unknown>>;
}

/**
 * A subgraph's definition from its package layout: `schema.graphql` beside the module that calls this, and the
 * drizzle migrations in `../drizzle`.
 */
export function defineSubgraph<TLoaders>(
  moduleUrl: string,
  definition: Omit<SubgraphDefinition<TLoaders>, 'typeDefs' | 'migrationsFolder'>,
): SubgraphDefinition<TLoaders> {
  return {
    ...definition,
    typeDefs: parse(readFileSync(new URL('./schema.graphql', moduleUrl), 'utf8')),
    migrationsFolder: fileURLToPath(new URL('../drizzle', moduleUrl)),
  };
}

/** Applies migrations and reference data: at start in embedded mode, by `pnpm db:migrate` in server mode. */
export async function prepareDatabase<T>(definition: SubgraphDefinition<T>, database: DatabaseHandle): Promise<void> {
  await database.migrate(definition.migrationsFolder);
  await definition.seedReferenceData?.(database.db);
}

/**
 * Puts the role matrix (platform/src/auth/operations.ts) in front of every Query and Mutation root field, so a
 * caller without the privilege is refused before the resolver validates input or looks anything up, in every
 * subgraph alike. Federation's own fields (`_entities`, `_service`) are left to the entity resolvers.
 */
function guardRootFields(schema: GraphQLSchema): void {
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    const typeName = type.name as 'Query' | 'Mutation';
    for (const field of Object.values(type.getFields())) {
      if (field.name.startsWith('_')) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: { caller: Caller }, info) => {
        requireOperationAccess(context.caller, typeName, field.name);
        return resolve(source, args, context, info);
      };
    }
  }
}

export function createSubgraphApollo<TLoaders>(
  definition: SubgraphDefinition<TLoaders>,
  logger: Logger,
  options: { introspection?: boolean; plugins?: ApolloServerPlugin<SubgraphContext<TLoaders>>[] } = {},
): ApolloServer<SubgraphContext<TLoaders>> {
  const schema = buildSubgraphSchema([
    // Codegen types __resolveReference as (reference, context, info), which @apollo/subgraph's looser map
    // cannot express; the codegen type already checked every resolver against the SDL.
    { typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> },
  ]);
  guardRootFields(schema);
  return new ApolloServer<SubgraphContext<TLoaders>>({
    schema,
    formatError: createErrorFormatter({ constraintErrors: definition.constraintErrors }),
    includeStacktraceInErrorResponses: false,
    // The process owns shutdown (close servers, stop relays, close databases); Apollo must not race it.
    stopOnTerminationSignals: false,
    introspection: options.introspection ?? true,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No @cacheControl hints are used: the plugin's per-field hook is work for nothing on every request.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      errorReportingPlugin(logger),
      auditPlugin<SubgraphContext<TLoaders>>({ writeBehind: definition.auditWriteBehind, logger }),
      {
        // A mutation's events go out as soon as it answers, not at the relay's next poll.
        async requestDidStart() {
          return {
            async willSendResponse({ operation }) {
              if (operation?.operation === 'mutation') nudgeOutbox(definition.name);
            },
          };
        },
      },
      ...(options.plugins ?? []),
    ],
  });
}

/**
 * The client's address for the audit trail: the gateway appends the address it was called from to
 * `x-forwarded-for`, so when the request comes from a trusted proxy (the gateway) the last hop is the one the
 * platform itself saw. Anyone else calling the subgraph directly is recorded by its socket's address, whatever
 * header it sends.
 */
export function clientAddressOf(req: Pick<http.IncomingMessage, 'headers' | 'socket'>, trusted: (address: string) => boolean): string | null {
  const peer = req.socket.remoteAddress ?? null;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  const address = peer !== null && chain.length > 0 && trusted(peer) ? chain.at(-1)! : peer;
  return address ? address.slice(0, 100) : null;
}

/** The check behind `clientAddressOf` for a list of trusted proxies. */
export function trustedProxyCheck(entries: readonly string[]): (address: string) => boolean {
  const trust = proxyAddr.compile([...entries]);
  return (address) => trust(address, 0);
}

/**
 * Starts one subgraph on its own HTTP port. It verifies the bearer token itself: nothing trusts network
 * position, so a direct call without a valid token answers UNAUTHENTICATED.
 */
export async function startSubgraph<TLoaders>(options: StartSubgraphOptions<TLoaders>): Promise<RunningSubgraph> {
  const { definition, database, verifier, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer();
  const apollo = createSubgraphApollo(definition, logger, {
    introspection: options.introspection,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: definition.name });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await database.ping();
      res.json({ status: 'ready', service: definition.name });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', service: definition.name, reason: 'database' });
    }
  });
  if (definition.routes) {
    const router = express.Router();
    definition.routes(router, { db: database.db, verifier, logger });
    app.use(router);
  }
  const auditWriter = auditWriterFor(database.db, definition.auditLog, logger);
  const trustedProxy = trustedProxyCheck(options.trustedProxies ?? DEFAULT_TRUSTED_PROXIES);
  const graphql = graphqlHttpHandler(apollo, {
    maxRequestBytes: options.maxRequestBytes ?? 1_048_576,
    logger,
    context: async (req) => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      const traceparent = traceparentFrom(req.headers.traceparent);
      const caller = await verifier.verify(req.headers.authorization);
      const clientAddress = clientAddressOf(req, trustedProxy);
      return {
        caller,
        requestId,
        traceparent,
        db: database.db,
        loaders: definition.createLoaders(database.db),
        log: logger.child({ requestId }),
        events: { source: `cmp.${definition.name}`, traceparent },
        origin: `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
        clientAddress,
        audit: createAuditRecorder(auditWriter, { caller, requestId, clientAddress }),
      };
    },
  });
  httpServer.on('request', (req, res) => (isGraphqlPath(req) ? void graphql(req, res) : app(req, res)));

  const running = await listen(httpServer, options.port, options.host ?? '0.0.0.0');
  logger.info({ url: running.url }, `${definition.name} subgraph listening`);
  return {
    ...running,
    name: definition.name,
    apollo: apollo as unknown as ApolloServer<SubgraphContext<unknown>>,
    async close() {
      await apollo.stop();
      await running.close();
      await auditWriter.stop();
    },
  };
}
