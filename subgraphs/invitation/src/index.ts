import { customerErasureConsumer, customerMergedConsumer, defineSubgraph, knownTierConsumer, mergeResolverMaps } from '@cmp/platform';
import { invitationErasurePlan } from './db/erasure.repo.ts';
import { upsertLounges } from './db/invitations.repo.ts';
import { auditLog, invitations, knownTiers, outbox } from './db/schema.ts';
import { startExpiryJob } from './domain/lifecycle.ts';
import { SEEDED_LOUNGES } from './domain/lounges.ts';
import { ScanRecorder } from './domain/scan-recorder.ts';
import { invitationDataExportConsumer } from './domain/data-export.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { auditResolvers } from './resolvers/audit.ts';
import { dataExportResolvers } from './resolvers/data-export.ts';
import { erasureResolvers } from './resolvers/erasure.ts';
import { resolvers } from './resolvers/index.ts';
import { configureInvitation, runtimeFromSettings } from './runtime.ts';

export const invitationSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'invitation',
  resolvers: mergeResolverMaps(resolvers, erasureResolvers, dataExportResolvers, auditResolvers),
  createLoaders,
  outbox,
  auditLog,
  // The door scan answers without waiting for its audit row (write-behind, docs/PERFORMANCE.md).
  auditWriteBehind: ['validateQr'],
  // The last tier of every member, for eligibility while loyalty cannot answer.
  consumers: [
    knownTierConsumer('invitation.known-tiers', knownTiers),
    // A merged customer's invitations (and so their scans) belong to the target.
    customerMergedConsumer('invitation.customer-merged', [{ table: invitations, customerId: invitations.customerId }]),
    customerErasureConsumer(invitationErasurePlan),
    // GDPR data-subject export: this subgraph's section.
    invitationDataExportConsumer,
  ],
  seedReferenceData: (db) => upsertLounges(db, SEEDED_LOUNGES),
  start: async ({ db, settings, logger }) => {
    const recorder = new ScanRecorder(db, logger.child({ component: 'scan-recorder' }));
    configureInvitation(await runtimeFromSettings(settings, recorder));
    recorder.start();
    const expiry = startExpiryJob(db, logger.child({ component: 'invitation-expiry' }), settings.invitation.expiryIntervalSeconds * 1000);
    return {
      async stop() {
        await expiry.stop();
        await recorder.stop();
      },
    };
  },
});

export { configureInvitation } from './runtime.ts';
