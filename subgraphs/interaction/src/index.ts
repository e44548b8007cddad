import { customerErasureConsumer, customerMergedConsumer, defineSubgraph, type EventConsumer, mergeResolverMaps } from '@cmp/platform';
import { configureTextAnalysis } from './analysis/index.ts';
import { crmWebhookConsumer } from './connectors/crm-webhook.ts';
import { historyFeedConsumer } from './connectors/history-feed.ts';
import { interactionErasurePlan } from './db/erasure.repo.ts';
import { auditLog, followUpTasks, interactions, outbox, timelineEntries } from './db/schema.ts';
import { meetings, outboundMessages } from './db/delivery.schema.ts';
import { configureDelivery, deliveryRoutes, startDelivery } from './delivery/runtime.ts';
import { feedback, textAnalyses } from './db/feedback.schema.ts';
import { caseAnalysisConsumer } from './events/case-analysis-consumer.ts';
import { followUpConsumer } from './events/follow-up-consumer.ts';
import { timelineConsumer } from './events/timeline-consumer.ts';
import { interactionDataExportConsumer } from './domain/data-export.ts';
import { marketingConsentConsumer } from './domain/marketing-consent.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { auditResolvers } from './resolvers/audit.ts';
import { resolvers } from './resolvers/index.ts';

// A merged customer's communications, timeline and follow-ups belong to the target.
const mergeConsumer = customerMergedConsumer('interaction.customer-merged', [
  { table: interactions, customerId: interactions.customerId },
  { table: timelineEntries, customerId: timelineEntries.customerId },
  { table: followUpTasks, customerId: followUpTasks.customerId },
  { table: feedback, customerId: feedback.customerId },
  { table: textAnalyses, customerId: textAnalyses.customerId },
  { table: outboundMessages, customerId: outboundMessages.customerId },
  { table: meetings, customerId: meetings.customerId },
]);
// GDPR erasure: the customer's communications, feedback and timeline are pseudonymised here too.
const ALWAYS: EventConsumer[] = [timelineConsumer, followUpConsumer, mergeConsumer, caseAnalysisConsumer, customerErasureConsumer(interactionErasurePlan)];
// GDPR: this subgraph's section of a data-subject export; the consents marketing sends are checked against.
ALWAYS.push(interactionDataExportConsumer, marketingConsentConsumer);
const consumers: EventConsumer[] = [...ALWAYS];

export const interactionSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'interaction',
  // The audit trail query is the same in every subgraph, so it is merged here rather than in each resolver map.
  resolvers: mergeResolverMaps(resolvers, auditResolvers),
  createLoaders,
  outbox,
  auditLog,
  consumers,
  // The CRM's webhook and the data platform's feed, when configured, are more consumers (known only at start).
  configure: (settings, logger) => {
    consumers.splice(ALWAYS.length);
    configureTextAnalysis(settings.textAnalysis, logger.child({ component: 'text-analysis' }));
    if (settings.crmWebhook) consumers.push(crmWebhookConsumer({ ...settings.crmWebhook, logger: logger.child({ component: 'crm-webhook' }) }));
    if (settings.historyFeedDir) consumers.push(historyFeedConsumer(settings.historyFeedDir));
    configureDelivery(settings);
  },
  // Outbound e-mail and SMS: the dispatcher sends what requests queued; the SMS provider calls back.
  start: (deps) => startDelivery(deps),
  routes: (router, deps) => deliveryRoutes(router, deps),
});
