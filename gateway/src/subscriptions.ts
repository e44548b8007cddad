import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ApolloServer } from '@apollo/server';
import {
  AppError,
  Privilege,
  hasPrivilege,
  traceparentFrom,
  type Caller,
  type CloudEvent,
  type EventBus,
  type Logger,
  type TokenVerifier,
} from '@cmp/platform';
import type {
  DocumentNode,
  ExecutionResult,
  GraphQLError as GraphQLErrorType,
  GraphQLSchema,
  OperationDefinitionNode,
  ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import pLimit from 'p-limit';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GatewayContext } from './context.ts';
import { LIVE_EVENT_TYPES, LIVE_FIELDS, entityQuery } from './live-fields.ts';
import { LiveStream } from './live-stream.ts';

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  apollo: ApolloServer<GatewayContext>;
  /** The API schema, once the gateway has loaded the supergraph. */
  schema: () => GraphQLSchema;
  verifier: TokenVerifier;
  /** Where events arrive from: the in-process bus, or NATS so that every replica sees every event. */
  events: Pick<EventBus, 'listen'>;
  logger: Logger;
  maxMessageBytes: number;
  limits?: Partial<SubscriptionLimits>;
  /** The gateway's operation limits (depth, cost, aliases, directives): subscription documents obey them too. */
  validationRules?: readonly ValidationRule[];
  /** The parser's token limit, as for HTTP operations. */
  maxTokens?: number;
  /** Counts a subscription start for its caller; the seconds to wait when over the caller's limit, else null. */
  rateLimit?: (caller: Caller) => Promise<number | null>;
}

export interface SubscriptionLimits {
  /** Subscriptions one connection may hold at once. */
  perConnection: number;
  /** Events waiting for one subscriber before it is judged too slow and disconnected. */
  pendingEvents: number;
  /** Bytes the socket may hold unsent before the client is judged too slow and disconnected. */
  bufferedBytes: number;
  /** Per-event executions running at once in this gateway (the rest queue). */
  concurrentExecutions: number;
  /** How long a client has to send `connection_init`. */
  connectionInitWaitMs: number;
}

/**
 * graphql as @apollo/gateway and graphql-ws get it: Node resolves `graphql` to its CommonJS build for both. Taking
 * the same build here keeps schemas and errors of one realm (a bundler or test runner that prefers graphql's ES
 * module build would otherwise hand them objects they refuse).
 */
const { GraphQLError, Kind, getOperationAST, parse, print, specifiedRules, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const DEFAULT_LIMITS: SubscriptionLimits = {
  perConnection: 50,
  pendingEvents: 100,
  bufferedBytes: 1 << 20,
  concurrentExecutions: 64,
  connectionInitWaitMs: 3_000,
};

/** How long a finished per-event execution stays shareable with subscribers who have not taken the event yet. */
const SHARE_WINDOW_MS = 2_000;

/** 1013 "Try Again Later": the client did not keep up; it reconnects and reads what it missed with a query. */
const TOO_SLOW = 1013;

/** What the gateway keeps per connection, beside graphql-ws's socket and upgrade request. */
type ConnectionState = {
  caller?: Caller;
  expiryTimer?: NodeJS.Timeout;
  /** Subscriptions this connection holds now. */
  open?: number;
};
type SocketExtra = { socket: WebSocket; request: http.IncomingMessage } & ConnectionState;

interface LiveContext {
  caller: Caller;
  extra: SocketExtra;
  /** The subscription's stream, once checked and registered. */
  stream: LiveStream | null;
}

export interface RunningSubscriptions {
  /** Connections, subscriptions being served now by field, and per-event executions since the start. */
  stats(): { connections: number; subscriptions: Record<string, number>; executions: number };
  close(): Promise<void>;
}

/** The token a client sends in `connection_init` ({ authorization: "Bearer …" } or { token }) or on the upgrade request. */
function authorizationOf(params: Record<string, unknown> | undefined, request: http.IncomingMessage): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  if (typeof value === 'string') return value;
  if (typeof params?.token === 'string') return `Bearer ${params.token}`;
  return request.headers.authorization;
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
const reason = (text: string) => (Buffer.byteLength(text) <= 120 ? text : `${Buffer.from(text).subarray(0, 117).toString()}...`);

/** Who may hold a subscription at all: readers of customer data, and lounge devices (their own lounge). */
const maySubscribe = (caller: Caller) => hasPrivilege(caller, Privilege.CustomerRead) || caller.roles.includes('LoungeDevice');

/**
 * graphql-ws on the gateway's `/graphql`. The client authenticates in `connection_init`; each subscription is
 * checked once with the subscriber's token (the owning subgraph's probe query), then listens for its event and,
 * for each one, reads the event's entity through the gateway's own execution with that token, so any subgraph's
 * fields can be selected and every subgraph's authorization applies to every subscriber. Events come from the bus
 * (`listen`): with NATS every replica sees every event, so any replica serves any client.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): RunningSubscriptions {
  const { apollo, verifier, logger } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = logger.child({ component: 'subscriptions' });
  const limit = pLimit(limits.concurrentExecutions);
  /** `<field>:<key>` → the streams waiting for it. */
  const listeners = new Map<string, Set<LiveStream>>();

  const stopListening = options.events.listen(LIVE_EVENT_TYPES, (event) => {
    for (const [name, live] of Object.entries(LIVE_FIELDS)) {
      if (live.eventType !== event.type) continue;
      const key = live.keyOf(event.data);
      if (typeof key !== 'string') continue;
      for (const stream of listeners.get(`${name}:${live.normalise(key)}`) ?? []) stream.push(event);
    }
  });

  const run = (caller: Caller, query: string, variables: Record<string, unknown>, traceparent?: string) =>
    limit(async () => {
      const response = await apollo.executeOperation(
        { query, variables },
        { contextValue: { caller, requestId: randomUUID(), traceparent: traceparentFrom(traceparent) } },
      );
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not used here');
      return response.body.singleResult;
    });

  /**
   * One execution per event for every subscriber who would get the same answer (same token, query and
   * variables: several screens of one lounge, an agent's dashboards), kept for a moment after it completes since
   * each subscriber takes its events in its own time. The key holds the event id: a new event always runs anew.
   */
  const shared = new Map<string, Promise<Awaited<ReturnType<typeof run>>>>();
  let executions = 0;
  const runShared = (caller: Caller, query: string, variables: Record<string, unknown>, event: CloudEvent) => {
    const key = `${event.id}\0${caller.token}\0${query}\0${JSON.stringify(variables)}`;
    let result = shared.get(key);
    if (!result) {
      executions++;
      result = run(caller, query, variables, event.traceparent);
      shared.set(key, result);
      const forget = () => setTimeout(() => shared.delete(key), SHARE_WINDOW_MS).unref();
      result.then(forget, forget);
    }
    return result;
  };

  const closeSocket = (extra: SocketExtra, code: number, text: string) => {
    if (extra.socket.readyState === extra.socket.OPEN) extra.socket.close(code, reason(text));
  };

  const refusal = (message: string, code: string, extensions: Record<string, unknown> = {}) => [new GraphQLError(message, { extensions: { code, ...extensions } })];

  /**
   * Checks a subscription once, with the subscriber's token, and registers its stream; errors go back to the
   * client as the protocol's `error` message.
   */
  async function prepare(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, caller: Caller, extra: SocketExtra): Promise<LiveStream | readonly GraphQLErrorType[]> {
    // Validation has made sure there is exactly one root field; it has to be written out, not in a fragment.
    const root = operation.selectionSet.selections[0]!;
    if (root.kind !== Kind.FIELD) return refusal('Select the subscription field itself, not through a fragment', 'BAD_REQUEST');
    const live = LIVE_FIELDS[root.name.value];
    if (!live) return refusal(`${root.name.value} is not a subscription this gateway serves`, 'BAD_REQUEST');
    if ((extra.open ?? 0) >= limits.perConnection) return refusal(`At most ${limits.perConnection} subscriptions per connection`, 'BAD_REQUEST');
    const argumentNode = root.arguments?.find((a) => a.name.value === live.argument);
    const value =
      argumentNode?.value.kind === Kind.VARIABLE ? variables[argumentNode.value.name.value] : argumentNode?.value.kind === Kind.STRING ? argumentNode.value.value : undefined;
    if (typeof value !== 'string' || value.trim() === '') return refusal(`${live.argument}: is required`, 'BAD_USER_INPUT', { field: live.argument });
    const key = live.normalise(value);

    // May this subscriber watch this thing, and does it exist? The owning subgraph decides, with the subscriber's token.
    const probe = await run(caller, live.probe, { key });
    if (probe.errors?.length) return probe.errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
    if (!(probe.data as { probe?: unknown } | undefined)?.probe) return refusal(`${live.argument} ${value} was not found`, 'NOT_FOUND', { field: live.argument });

    const query = entityQuery(document, operation, root, live);
    const responseKey = root.alias?.value ?? root.name.value;
    const topic = `${root.name.value}:${key}`;
    const stream: LiveStream = new LiveStream(
      async (event) => {
        if (caller.expiresAt !== null && caller.expiresAt <= Date.now()) {
          closeSocket(extra, CloseCode.Unauthorized, 'Unauthorized: the token has expired; reconnect with a new one');
          return null;
        }
        const result = await runShared(caller, query, { ...variables, liveEntityId: live.entityIdOf(event.data) }, event);
        // The entity is gone (or no longer visible) and nothing explains why: nothing to deliver.
        if (!result.errors?.length && (result.data as Record<string, unknown> | null | undefined)?.[responseKey] == null) return null;
        return result as ExecutionResult;
      },
      limits.pendingEvents,
      () => {
        log.warn({ subject: caller.subject, topic }, 'subscriber too slow: disconnected');
        closeSocket(extra, TOO_SLOW, 'Too slow: events were waiting; reconnect and query what you missed');
      },
      () => {
        const set = listeners.get(topic);
        set?.delete(stream);
        if (set?.size === 0) listeners.delete(topic);
        extra.open = (extra.open ?? 1) - 1;
      },
    );
    extra.open = (extra.open ?? 0) + 1;
    if (!listeners.has(topic)) listeners.set(topic, new Set());
    listeners.get(topic)!.add(stream);
    return stream;
  }

  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: options.maxMessageBytes });
  const server = useServer<Record<string, unknown>, ConnectionState>(
    {
      isProd: true,
      schema: () => options.schema(),
      connectionInitWaitTimeout: limits.connectionInitWaitMs,
      onConnect: async (ctx) => {
        const { extra } = ctx;
        try {
          extra.caller = await verifier.verify(authorizationOf(ctx.connectionParams, extra.request));
        } catch (error) {
          // The verifier's own refusals say why; anything else (the identity provider unreachable) says nothing internal.
          const why = error instanceof AppError ? error.message : 'the token could not be verified now; try again';
          if (!(error instanceof AppError)) log.error({ err: error }, 'token verification failed');
          closeSocket(extra, CloseCode.Unauthorized, `Unauthorized: ${why}`);
          return false;
        }
        if (!maySubscribe(extra.caller)) return false; // 4403 Forbidden
        if (extra.caller.expiresAt !== null) {
          const left = extra.caller.expiresAt - Date.now();
          extra.expiryTimer = setTimeout(() => closeSocket(extra, CloseCode.Unauthorized, 'Unauthorized: the token has expired; reconnect with a new one'), Math.min(left, 2 ** 31 - 1));
          extra.expiryTimer.unref();
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const schema = options.schema();
        let document: DocumentNode;
        try {
          document = parse(payload.query, options.maxTokens ? { maxTokens: options.maxTokens } : {});
        } catch (error) {
          return [error as GraphQLErrorType];
        }
        const invalid = validate(schema, document, [...specifiedRules, ...(options.validationRules ?? [])]);
        if (invalid.length > 0) return invalid;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return refusal('Send one operation, or name the one to run in operationName', 'BAD_REQUEST');
        const variableValues = (payload.variables ?? {}) as Record<string, unknown>;
        const contextValue: LiveContext = { caller: ctx.extra.caller!, extra: ctx.extra, stream: null };
        if (operation.operation === 'subscription') {
          const retryAfter = await options.rateLimit?.(contextValue.caller);
          if (retryAfter != null) {
            return refusal(`Too many subscriptions started; try again in ${retryAfter} s`, 'RATE_LIMITED', { retryAfterSeconds: retryAfter });
          }
          const prepared = await prepare(document, operation, variableValues, contextValue.caller, ctx.extra);
          if (!(prepared instanceof LiveStream)) return prepared;
          contextValue.stream = prepared;
        }
        return { schema, document, operationName: payload.operationName, variableValues, contextValue };
      },
      subscribe: (args) => (args.contextValue as LiveContext).stream!,
      // Queries and mutations over the socket run like HTTP ones, with the connection's token.
      execute: async (args) => {
        const { caller } = args.contextValue as LiveContext;
        return (await run(caller, print(args.document), (args.variableValues ?? {}) as Record<string, unknown>)) as ExecutionResult;
      },
      onNext: (ctx) => {
        if (ctx.extra.socket.bufferedAmount > limits.bufferedBytes) {
          log.warn({ subject: ctx.extra.caller?.subject }, 'subscriber not reading: disconnected');
          closeSocket(ctx.extra, TOO_SLOW, 'Too slow: unread messages piled up; reconnect and query what you missed');
        }
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
      },
    },
    wss,
  );
  log.info({ fields: Object.keys(LIVE_FIELDS) }, 'subscriptions served over graphql-ws on /graphql');

  return {
    stats() {
      const subscriptions: Record<string, number> = {};
      for (const [topic, set] of listeners) {
        const field = topic.slice(0, topic.indexOf(':'));
        subscriptions[field] = (subscriptions[field] ?? 0) + set.size;
      }
      return { connections: wss.clients.size, subscriptions, executions };
    },
    async close() {
      stopListening();
      await server.dispose();
    },
  };
}
