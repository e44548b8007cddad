import { defineSubgraph, type EventConsumer } from '@cmp/platform';
import { crmWebhookConsumer } from './connectors/crm-webhook.ts';
import { outbox } from './db/schema.ts';
import { followUpConsumer } from './events/follow-up-consumer.ts';
import { timelineConsumer } from './events/timeline-consumer.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

const consumers: EventConsumer[] = [timelineConsumer, followUpConsumer];

export const interactionSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'interaction',
  resolvers,
  createLoaders,
  outbox,
  consumers,
  // The CRM's webhook, when configured, is one more consumer (settings are known only at start).
  configure: (settings, logger) => {
    const index = consumers.findIndex((c) => c.name === 'interaction.crm-webhook');
    if (index >= 0) consumers.splice(index, 1);
    if (settings.crmWebhook) consumers.push(crmWebhookConsumer({ ...settings.crmWebhook, logger: logger.child({ component: 'crm-webhook' }) }));
  },
});
