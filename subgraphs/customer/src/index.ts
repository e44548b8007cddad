import { defineSubgraph } from '@cmp/platform';
import { outbox } from './db/schema.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const customerSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'customer',
  resolvers,
  createLoaders,
  outbox,
  constraintErrors: {
    customers_primary_email_key: {
      code: 'CUST-002',
      field: 'primaryEmail',
      message: 'primaryEmail: a customer with this e-mail address already exists',
    },
  },
});
