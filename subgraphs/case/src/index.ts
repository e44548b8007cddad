import { defineSubgraph, knownTierConsumer } from '@cmp/platform';
import { knownTiers, outbox } from './db/schema.ts';
import { configureCompensation } from './domain/compensation/engine.ts';
import { startEscalationScheduler } from './domain/lifecycle.ts';
import { seedSlaPolicies } from './domain/sla.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const caseSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'case',
  resolvers,
  createLoaders,
  outbox,
  // Each member's tier, so cases route by it without asking loyalty.
  consumers: [knownTierConsumer('case.known-tiers', knownTiers)],
  configure: (settings) => configureCompensation(settings.compensation),
  seedReferenceData: (db) => seedSlaPolicies(db),
  start: async ({ db, settings, logger }) =>
    startEscalationScheduler(db, logger.child({ component: 'case-escalation' }), settings.cases.escalationIntervalSeconds * 1000, settings.cases.escalationHours),
});
