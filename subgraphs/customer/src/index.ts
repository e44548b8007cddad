import { defineSubgraph, knownTierConsumer, mergeResolverMaps } from '@cmp/platform';
import { auditLog, knownTiers, outbox } from './db/schema.ts';
import { bindDataKeysFromSettings } from './data-keys.ts';
import { activityConsumer } from './domain/activity.ts';
import { sealCustomerRows } from './domain/sealing.ts';
import { erasureCompletionConsumer } from './domain/erasure.ts';
import { customerDataExportConsumer, dataExportErasureConsumer, dataExportProgressConsumer, startDataExportExpiry } from './domain/data-export.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { auditResolvers } from './resolvers/audit.ts';
import { resolvers } from './resolvers/index.ts';
import { startContactTransferJobs } from './transfer/jobs.ts';
import { contactTransferRoutes } from './transfer/routes.ts';

export const customerSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'customer',
  // The audit trail query is the same in every subgraph, so it is merged here rather than in each resolver map.
  resolvers: mergeResolverMaps(resolvers, auditResolvers),
  createLoaders,
  outbox,
  auditLog,
  // Loyalty's tier changes update the segmentation inputs kept here.
  consumers: [
    knownTierConsumer('customer.loyalty-tiers', knownTiers),
    activityConsumer,
    // GDPR data-subject export: this subgraph's section, and every subgraph's progress.
    customerDataExportConsumer,
    dataExportProgressConsumer,
    dataExportErasureConsumer,
    // GDPR erasure: every other subgraph's completion, into the erasure report.
    erasureCompletionConsumer,
  ],
  constraintErrors: {
    customers_primary_email_key: {
      code: 'CUST-002',
      field: 'primaryEmail',
      message: 'primaryEmail: a customer with this e-mail address already exists',
    },
    contacts_customer_email_key: {
      code: 'CONT-002',
      field: 'email',
      message: 'email: the customer already has a contact with this e-mail address',
    },
    contacts_single_primary_key: {
      code: 'CONFLICT',
      field: 'isPrimary',
      message: 'isPrimary: the customer already has a primary contact; try again',
    },
  },
  // Contact imports and exports run in the background, one worker of each per process.
  // The data keys first (a bad key ring fails the start); then plaintext left by a release before encryption at
  // rest is sealed before the first request is served.
  start: async (deps) => {
    const ring = await bindDataKeysFromSettings(deps.db, deps.settings);
    const sealed = await sealCustomerRows(deps.db, ring, { legacyOnly: true });
    if (sealed.done > 0) deps.logger.info({ customers: sealed.done }, 'sealed sensitive fields left in plaintext by an earlier release');
    const transfers = await startContactTransferJobs(deps);
    // Data-subject exports are deleted 7 days after they were asked for, in every subgraph.
    const exportExpiry = startDataExportExpiry(deps.db, deps.logger);
    return {
      async stop() {
        await Promise.all([transfers.stop(), exportExpiry.stop()]);
      },
    };
  },
  // The upload of an import's file and the download of an export's.
  routes: (router, { db, logger }) => contactTransferRoutes(router, { db, logger }),
});

// Data keys and sealing, for `pnpm data-keys` and specs.
export { bindDataKeys, dataKeysFor } from './data-keys.ts';
export { rehashPassportLookups, sealCustomerRows } from './domain/sealing.ts';
export { countSealedValuesByKey } from './db/sensitive.repo.ts';
