import http from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import {
  createErrorFormatter,
  errorReportingPlugin,
  graphqlHttpHandler,
  isGraphqlPath,
  listen,
  requestIdFrom,
  traceparentFrom,
  type Logger,
  type RunningServer,
  type Settings,
  type SubgraphName,
  type TokenVerifier,
  type EventBus,
  SubscriptionOverHttpError,
} from '@cmp/platform';
import type { GraphQLSchema } from 'graphql';
import express from 'express';
import { authenticate, forwardedForOf, type GatewayContext } from './context.ts';
import { AuthenticatedDataSource } from './data-source.ts';
import { explorerHtml } from './explorer.ts';
import { operationLimitRules, parseOptions } from './limits.ts';
import { callerKey, callerRateLimiter, rateLimitKey, sendRateLimited } from './rate-limits.ts';
import { explorerCsp, withSecurityHeaders } from './security-headers.ts';
import { gatewayMetrics } from './metrics.ts';
import { checkSubgraphs } from './readiness.ts';
import { startSubscriptionServer, type RunningSubscriptions, type SubscriptionLimits } from './subscriptions.ts';

export interface StartGatewayOptions {
  settings: Settings;
  supergraphSdl: string;
  verifier: TokenVerifier;
  logger: Logger;
  /** Overrides settings.subgraphUrls (tests start subgraphs on free ports). */
  subgraphUrls?: Record<SubgraphName, string>;
  port?: number;
  /**
   * Where subscriptions get their events: the in-process bus when everything runs in one process, NATS between
   * processes (every replica sees every event). Without it the gateway serves no subscriptions.
   */
  events?: Pick<EventBus, 'listen'>;
  subscriptionLimits?: Partial<SubscriptionLimits>;
}

/** The explorer is served at the same URL as the API. */
export type RunningGateway = RunningServer & { subscriptions: RunningSubscriptions | null };

/**
 * Subgraph errors arrive already formatted by their subgraph (code, field, request id) and pass as they are;
 * the gateway's own failures go through the same formatter as a subgraph's, so nothing internal leaks.
 */
const formatGatewayError = createErrorFormatter();

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { settings, logger, verifier } = options;
  const subgraphUrls = options.subgraphUrls ?? settings.subgraphUrls;
  // @apollo/gateway otherwise exports usage metrics to Apollo; this platform reports to nobody.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) =>
      new AuthenticatedDataSource(name, subgraphUrls[name as SubgraphName] ?? url!, settings.gateway.subgraphTimeoutMs),
    logger: logger.child({ component: 'apollo-gateway' }),
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer();
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: formatGatewayError,
    includeStacktraceInErrorResponses: false,
    // The process owns shutdown (close servers, stop relays, close databases); Apollo must not race it.
    stopOnTerminationSignals: false,
    introspection: settings.introspectionEnabled,
    // Depth, cost, aliases and directives are validation rules (400, GRAPHQL_VALIDATION_FAILED, the limit in
    // extensions.field); the token limit stops the parser. Batched (JSON array) requests are refused by Apollo
    // Server itself (allowBatchedHttpRequests stays false): one operation per request, so limits count per request.
    validationRules: operationLimitRules(settings.gateway.limits),
    parseOptions: parseOptions(settings.gateway.limits),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No @cacheControl hints are used: the plugin's per-field hook is work for nothing on every request.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      errorReportingPlugin(logger),
      {
        // A subscription over plain HTTP gets told where subscriptions are served.
        async requestDidStart() {
          return {
            async didResolveOperation({ operation }) {
              if (operation?.operation === 'subscription') throw new SubscriptionOverHttpError();
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  let subscriptions: RunningSubscriptions | null = null;

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const subgraphs = await checkSubgraphs(subgraphUrls);
    const ready = subgraphs.every((s) => s.ready);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', subgraphs });
  });
  const metrics = gatewayMetrics(() => subscriptions);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  const graphql = graphqlHttpHandler(apollo, {
    maxRequestBytes: settings.gateway.maxRequestBytes,
    logger,
    context: async (req, body, search) => ({
      caller: await authenticate(
        verifier,
        req.headers.authorization,
        (body as { query?: unknown } | undefined)?.query ?? search.get('query'),
        settings.introspectionEnabled,
      ),
      requestId: requestIdFrom(req.headers['x-request-id']),
      traceparent: traceparentFrom(req.headers.traceparent),
      forwardedFor: forwardedForOf(req),
    }),
  });
  const wantsExplorer = (req: http.IncomingMessage) =>
    settings.explorerEnabled && req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '');
  let explorerPolicy: string | undefined;
  app.get('/graphql', (_req, res) => {
    const html = explorerHtml();
    res.setHeader('content-security-policy', (explorerPolicy ??= explorerCsp(html)));
    res.type('html').send(html);
  });
  const requestLimiter = callerRateLimiter(settings.gateway.rateLimit.requests, settings.gateway.rateLimit.windowSeconds);
  const limitedGraphql = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (requestLimiter) {
      const retryAfter = await requestLimiter.consume(await rateLimitKey(verifier, req)).catch((error: unknown) => {
        logger.error({ err: error }, 'rate limit check failed; the request is served');
        return null;
      });
      if (retryAfter !== null) return sendRateLimited(res, retryAfter);
    }
    return graphql(req, res);
  };
  httpServer.on(
    'request',
    withSecurityHeaders((req, res) => (isGraphqlPath(req) && !wantsExplorer(req) ? void limitedGraphql(req, res) : app(req, res))),
  );
  const subscriptionLimiter = callerRateLimiter(settings.gateway.rateLimit.subscriptions, settings.gateway.rateLimit.windowSeconds);

  subscriptions = options.events
    ? startSubscriptionServer({
        httpServer,
        apollo,
        schema: () => apiSchema!,
        verifier,
        events: options.events,
        logger,
        maxMessageBytes: settings.gateway.maxRequestBytes,
        limits: options.subscriptionLimits,
        validationRules: operationLimitRules(settings.gateway.limits),
        maxTokens: parseOptions(settings.gateway.limits).maxTokens,
        rateLimit: subscriptionLimiter ? (caller) => subscriptionLimiter.consume(callerKey(caller)) : undefined,
      })
    : null;
  if (!subscriptions) logger.warn('no event bus given: subscriptions are not served');

  const running = await listen(httpServer, options.port ?? settings.gateway.port, settings.gateway.host);
  logger.info({ url: running.url }, 'gateway listening');
  return {
    ...running,
    subscriptions,
    async close() {
      await subscriptions?.close();
      await apollo.stop();
      await running.close();
    },
  };
}
