import { customerErasureConsumer, defineSubgraph, mergeResolverMaps } from '@cmp/platform';
import { configureExternalLoyalty } from './adapters/external-loyalty.ts';
import { loyaltyErasurePlan } from './db/erasure.repo.ts';
import { auditLog, outbox } from './db/schema.ts';
import { customerMergedConsumer } from './domain/merge.ts';
import { eligibilityRoutes } from './http/eligibility-route.ts';
import { loyaltyDataExportConsumer } from './domain/data-export.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { auditResolvers } from './resolvers/audit.ts';
import { dataExportResolvers } from './resolvers/data-export.ts';
import { erasureResolvers } from './resolvers/erasure.ts';
import { resolvers } from './resolvers/index.ts';

export const loyaltySubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'loyalty',
  resolvers: mergeResolverMaps(resolvers, erasureResolvers, dataExportResolvers, auditResolvers),
  createLoaders,
  outbox,
  auditLog,
  consumers: [customerMergedConsumer, customerErasureConsumer(loyaltyErasurePlan), loyaltyDataExportConsumer],
  configure: (settings) => {
    configureExternalLoyalty(settings.externalLoyalty);
  },
  routes: eligibilityRoutes,
  constraintErrors: {
    accounts_customer_id_key: {
      code: 'CONFLICT',
      field: 'customerId',
      message: 'customerId: this customer is already a Club Iberia Plus member',
    },
  },
});
