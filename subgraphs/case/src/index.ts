import { defineSubgraph } from '@cmp/platform';
import { outbox } from './db/schema.ts';
import { configureCompensation } from './domain/compensation/engine.ts';
import { startEscalationScheduler } from './domain/lifecycle.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const caseSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'case',
  resolvers,
  createLoaders,
  outbox,
  configure: (settings) => configureCompensation(settings.compensation),
  start: async ({ db, settings, logger }) =>
    startEscalationScheduler(db, logger.child({ component: 'case-escalation' }), settings.cases.escalationIntervalSeconds * 1000, settings.cases.escalationHours),
});
