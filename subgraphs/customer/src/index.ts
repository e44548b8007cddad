import { defineSubgraph, knownTierConsumer } from '@cmp/platform';
import { knownTiers, outbox } from './db/schema.ts';
import { activityConsumer } from './domain/activity.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const customerSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'customer',
  resolvers,
  createLoaders,
  outbox,
  // Loyalty's tier changes update the segmentation inputs kept here.
  consumers: [knownTierConsumer('customer.loyalty-tiers', knownTiers), activityConsumer],
  constraintErrors: {
    customers_primary_email_key: {
      code: 'CUST-002',
      field: 'primaryEmail',
      message: 'primaryEmail: a customer with this e-mail address already exists',
    },
  },
});
