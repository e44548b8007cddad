import { defineSubgraph } from '@cmp/platform';
import { outbox } from './db/schema.ts';
import { configureCompensation } from './domain/compensation/engine.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const caseSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'case',
  resolvers,
  createLoaders,
  outbox,
  configure: (settings) => configureCompensation(settings.compensation),
});
