import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@cmp/platform';
import { parse } from 'graphql';
import { outbox } from './db/schema.ts';
import { timelineConsumer } from './events/timeline-consumer.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export const interactionSubgraph: SubgraphDefinition<Loaders> = {
  name: 'interaction',
  typeDefs,
  resolvers,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  createLoaders,
  outbox,
  consumers: [timelineConsumer],
};
