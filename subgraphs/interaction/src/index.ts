import { defineSubgraph } from '@cmp/platform';
import { outbox } from './db/schema.ts';
import { followUpConsumer } from './events/follow-up-consumer.ts';
import { timelineConsumer } from './events/timeline-consumer.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const interactionSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'interaction',
  resolvers,
  createLoaders,
  outbox,
  consumers: [timelineConsumer, followUpConsumer],
});
