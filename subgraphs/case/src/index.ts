import { customerErasureConsumer, customerMergedConsumer, defineSubgraph, knownTierConsumer, mergeResolverMaps } from '@cmp/platform';
import { configureAttachments } from './attachments/attachments.ts';
import { attachmentRoutes } from './attachments/routes.ts';
import { LocalBlobStore, S3BlobStore } from './attachments/store.ts';
import { caseErasurePlan } from './db/erasure.repo.ts';
import { auditLog, cases, knownTiers, outbox } from './db/schema.ts';
import { configureCompensation } from './domain/compensation/engine.ts';
import { startEscalationScheduler } from './domain/lifecycle.ts';
import { seedSlaPolicies } from './domain/sla.ts';
import { caseDataExportConsumer } from './domain/data-export.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { auditResolvers } from './resolvers/audit.ts';
import { dataExportResolvers } from './resolvers/data-export.ts';
import { erasureResolvers } from './resolvers/erasure.ts';
import { resolvers } from './resolvers/index.ts';

export const caseSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'case',
  resolvers: mergeResolverMaps(resolvers, erasureResolvers, dataExportResolvers, auditResolvers),
  createLoaders,
  outbox,
  auditLog,
  // Each member's tier, so cases route by it without asking loyalty.
  consumers: [
    knownTierConsumer('case.known-tiers', knownTiers),
    // A merged customer's complaints and cases (with their claims, comments and files) belong to the target.
    customerMergedConsumer('case.customer-merged', [{ table: cases, customerId: cases.customerId }]),
    // GDPR erasure: the customer's words in cases go, the cases and their compensation stay.
    customerErasureConsumer(caseErasurePlan),
    // GDPR data-subject export: this subgraph's section.
    caseDataExportConsumer,
  ],
  configure: (settings) => configureCompensation(settings.compensation),
  seedReferenceData: (db) => seedSlaPolicies(db),
  start: async ({ db, settings, logger }) => {
    const { attachments } = settings;
    configureAttachments({
      store: attachments.s3 ? new S3BlobStore(attachments.s3) : await LocalBlobStore.open(attachments.directory, attachments.publicUrl),
      maxBytes: attachments.maxBytes,
    });
    return startEscalationScheduler(db, logger.child({ component: 'case-escalation' }), settings.cases.escalationIntervalSeconds * 1000, settings.cases.escalationHours);
  },
  routes: (router, { logger }) => attachmentRoutes(router, { logger }),
});
