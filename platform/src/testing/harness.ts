import type { ApolloServer } from '@apollo/server';
import type { Caller } from '../auth/caller.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { createLogger } from '../logger.ts';
import { createSubgraphApollo, type SubgraphContext, type SubgraphDefinition } from '../server/subgraph.ts';
import { contextFor, execute, type ExecutionResultLike } from './callers.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface SubgraphHarness {
  database: TestDatabase;
  handle: DatabaseHandle;
  /** Runs one operation through the subgraph's Apollo Server as `caller`, like a verified HTTP request. */
  run<T = any>(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<ExecutionResultLike<T>>;
  close(): Promise<void>;
}

/** One subgraph on this test file's own database, executing operations in process. */
export async function startSubgraphHarness<T>(definition: SubgraphDefinition<T>): Promise<SubgraphHarness> {
  const database = await createTestDatabase([definition as SubgraphDefinition<unknown>]);
  const handle = database.handles[definition.name];
  const apollo = createSubgraphApollo(definition, createLogger({ name: 'test', level: 'silent' }));
  await apollo.start();
  return {
    database,
    handle,
    run: (caller, query, variables = {}) =>
      execute(
        apollo as unknown as ApolloServer<SubgraphContext<unknown>>,
        contextFor(definition, handle, caller) as SubgraphContext<unknown>,
        query,
        variables,
      ),
    async close() {
      await apollo.stop();
      await database.close();
    },
  };
}

/** Resolves Customer entity fields the way the gateway does, through `_entities`. */
export const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Customer { id __FIELDS__ } }
  }
`;
export function customerEntities(fields: string): string {
  return ENTITIES.replace('__FIELDS__', fields);
}
