import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@cmp/platform';
import { parse } from 'graphql';
import { outbox } from './db/schema.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export const customerSubgraph: SubgraphDefinition<Loaders> = {
  name: 'customer',
  typeDefs,
  resolvers,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  createLoaders,
  outbox,
  constraintErrors: {
    customers_primary_email_key: {
      code: 'CUST-002',
      field: 'primaryEmail',
      message: 'primaryEmail: a customer with this e-mail address already exists',
    },
  },
};
