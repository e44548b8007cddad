import { createHmac } from 'node:crypto';
import { OutsideSystemError, Resilience, failureReason, type CloudEvent, type EventConsumer, type Logger } from '@cmp/platform';
import { and, eq } from 'drizzle-orm';
import { webhookDeliveries } from '../db/schema.ts';

export interface CrmWebhookOptions {
  url: string;
  secret: string;
  eventTypes: readonly string[];
  logger: Logger;
  timeoutMs?: number;
  maxAttempts?: number;
  initialBackoffMs?: number;
}

/** `sha256=<hex>` of `<timestamp>.<body>`: the receiver recomputes it and refuses old timestamps (replays). */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Sends the configured events (by default InvitationIssued and InvitationResent, for the CRM's e-mail and push)
 * to the CRM's webhook as CloudEvents, signed with HMAC-SHA256 over timestamp and body, under a timeout, retries
 * with backoff and a circuit breaker. Each event is delivered once per endpoint (a redelivered event is not sent
 * again); after the last retry it is recorded as FAILED with its payload (the dead-letter record) and the consumer
 * moves on.
 */
export function crmWebhookConsumer(options: CrmWebhookOptions): EventConsumer {
  const resilience = new Resilience({
    timeoutMs: options.timeoutMs ?? 5_000,
    maxAttempts: options.maxAttempts ?? 4,
    initialBackoffMs: options.initialBackoffMs ?? 500,
    breakAfter: 10,
    halfOpenAfterMs: 30_000,
  });
  return {
    name: 'interaction.crm-webhook',
    types: options.eventTypes,
    async handle(db, event: CloudEvent) {
      const [done] = await db
        .select({ status: webhookDeliveries.status })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.endpoint, options.url), eq(webhookDeliveries.eventId, event.id)));
      if (done) return;
      const body = JSON.stringify(event);
      let attempts = 0;
      let failure: string | null = null;
      try {
        await resilience.execute(async (signal) => {
          attempts += 1;
          const timestamp = String(Math.floor(Date.now() / 1000));
          const response = await fetch(options.url, {
            method: 'POST',
            signal,
            headers: {
              'content-type': 'application/cloudevents+json',
              'x-cmp-event-id': event.id,
              'x-cmp-timestamp': timestamp,
              'x-cmp-signature': signature(options.secret, timestamp, body),
            },
            body,
          });
          // 4xx other than 408/429 is an answer: the CRM refuses this event, retrying will not help.
          if (response.status >= 500 || response.status === 408 || response.status === 429) throw new OutsideSystemError(`CRM answered HTTP ${response.status}`);
          if (!response.ok) throw new Error(`CRM refused the event with HTTP ${response.status}`);
        });
      } catch (error) {
        failure = failureReason(error);
        options.logger.error({ err: error, eventId: event.id, type: event.type, attempts }, 'CRM webhook delivery failed; recorded for replay');
      }
      await db
        .insert(webhookDeliveries)
        .values({
          endpoint: options.url,
          eventId: event.id,
          eventType: event.type,
          status: failure ? 'FAILED' : 'DELIVERED',
          attempts,
          lastError: failure,
          payload: event as unknown as Record<string, unknown>,
        })
        .onConflictDoNothing();
    },
  };
}
