import type { ApolloServer } from '@apollo/server';
import { auditWriterFor, createAuditRecorder } from '../audit/recorder.ts';
import type { Caller } from '../auth/caller.ts';
import type { Role } from '../auth/roles.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { createLogger } from '../logger.ts';
import type { SubgraphContext, SubgraphDefinition } from '../server/subgraph.ts';

export function callerWith(roles: Role | Role[], extra: Partial<Omit<Caller, 'roles'>> = {}): Caller {
  const list = Array.isArray(roles) ? roles : [roles];
  return {
    subject: `test:${list.join('+').toLowerCase()}`,
    roles: list,
    customerId: null,
    loungeCode: null,
    mfa: false,
    expiresAt: null,
    token: 'test-token',
    ...extra,
  };
}

const testLogger = createLogger({ name: 'test', level: process.env.LOG_LEVEL ?? 'silent' });

/** The context a subgraph builds for a verified request, for specs that execute operations in process. */
export function contextFor<T>(definition: SubgraphDefinition<T>, database: DatabaseHandle, caller: Caller): SubgraphContext<T> {
  const requestId = `test-${Math.random().toString(36).slice(2, 10)}`;
  const clientAddress = '127.0.0.1';
  return {
    caller,
    requestId,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    db: database.db,
    loaders: definition.createLoaders(database.db),
    log: testLogger,
    events: { source: `cmp.${definition.name}`, traceparent: null },
    origin: 'http://localhost',
    clientAddress,
    audit: createAuditRecorder(auditWriterFor(database.db, definition.auditLog, testLogger), { caller, requestId, clientAddress }),
  };
}

export interface ExecutionResultLike<T = any> {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown>; path?: ReadonlyArray<string | number> }>;
}

/** Runs one operation through the subgraph's Apollo Server (formatting and plugins included) as `caller`. */
export async function execute<T = any>(
  apollo: ApolloServer<SubgraphContext<unknown>>,
  context: SubgraphContext<unknown>,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<ExecutionResultLike<T>> {
  const response = await apollo.executeOperation({ query, variables }, { contextValue: context });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as ExecutionResultLike<T>;
}
