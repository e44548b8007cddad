import { defineSubgraph, type EventConsumer } from '@cmp/platform';
import { crmWebhookConsumer } from './connectors/crm-webhook.ts';
import { historyFeedConsumer } from './connectors/history-feed.ts';
import { outbox } from './db/schema.ts';
import { followUpConsumer } from './events/follow-up-consumer.ts';
import { timelineConsumer } from './events/timeline-consumer.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

const ALWAYS: EventConsumer[] = [timelineConsumer, followUpConsumer];
const consumers: EventConsumer[] = [...ALWAYS];

export const interactionSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'interaction',
  resolvers,
  createLoaders,
  outbox,
  consumers,
  // The CRM's webhook and the data platform's feed, when configured, are more consumers (known only at start).
  configure: (settings, logger) => {
    consumers.splice(ALWAYS.length);
    if (settings.crmWebhook) consumers.push(crmWebhookConsumer({ ...settings.crmWebhook, logger: logger.child({ component: 'crm-webhook' }) }));
    if (settings.historyFeedDir) consumers.push(historyFeedConsumer(settings.historyFeedDir));
  },
});
