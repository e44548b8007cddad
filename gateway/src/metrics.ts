import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunningSubscriptions } from './subscriptions.ts';

/**
 * Prometheus metrics of one gateway process: Node's own (memory, event-loop lag, GC) and the live subscriptions,
 * read when scraped. A registry per gateway, so several in one process (tests) do not collide.
 */
export function gatewayMetrics(subscriptions: () => RunningSubscriptions | null): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'cmp_gateway_websocket_connections',
    help: 'Open graphql-ws connections',
    registers: [registry],
    collect() {
      this.set(subscriptions()?.stats().connections ?? 0);
    },
  });
  new Gauge({
    name: 'cmp_gateway_subscriptions',
    help: 'Live subscriptions, by field',
    labelNames: ['field'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [field, count] of Object.entries(subscriptions()?.stats().subscriptions ?? {})) this.set({ field }, count);
    },
  });
  let counted = 0;
  new Counter({
    name: 'cmp_gateway_subscription_executions_total',
    help: 'Reads of an event for subscribers (one shared by subscribers who would get the same answer)',
    registers: [registry],
    collect() {
      const executions = subscriptions()?.stats().executions ?? 0;
      this.inc(executions - counted);
      counted = executions;
    },
  });
  return registry;
}
