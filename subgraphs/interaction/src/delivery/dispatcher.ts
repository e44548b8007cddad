import { recordEvent, startIntervalJob, type Database, type EventContext, type Logger, type RunningJob } from '@cmp/platform';
import { claimDueMessages, finishAttempt, findAttachmentsOfMessages, isOptedOut } from '../db/delivery.repo.ts';
import type { OutboundMessageRow } from '../db/delivery.schema.ts';
import { outbox } from '../db/schema.ts';
import { missingMarketingConsent } from '../domain/marketing-consent.ts';
import { DeliveryError, type OutgoingMessage, type Transports } from './transport.ts';

export interface DispatcherOptions {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  leaseMs: number;
  /** Messages claimed per round. */
  batchSize?: number;
}

const EVENTS: EventContext = { source: 'cmp.interaction', traceparent: null };

/** Wait before attempt `attempt + 1`: backoff, doubled per attempt already made, capped. */
export function backoffAfter(attempt: number, options: Pick<DispatcherOptions, 'backoffMs' | 'maxBackoffMs'>): number {
  return Math.min(options.maxBackoffMs, options.backoffMs * 2 ** Math.max(0, attempt - 1));
}

async function outgoing(db: Database, message: OutboundMessageRow): Promise<OutgoingMessage> {
  if (message.channel === 'SMS') return { channel: 'SMS', id: message.id, to: message.recipient, body: message.textBody ?? '' };
  const attachments = await findAttachmentsOfMessages(db, [message.id]);
  return {
    channel: 'EMAIL',
    id: message.id,
    to: message.recipient,
    toName: message.recipientName,
    subject: message.subject ?? '',
    text: message.textBody,
    html: message.htmlBody,
    attachments: attachments.map((a) => ({ fileName: a.fileName, contentType: a.contentType, content: a.content })),
    calendar: message.calendarMethod && message.calendar ? { method: message.calendarMethod, content: message.calendar } : null,
  };
}

function messageEventData(message: OutboundMessageRow) {
  return {
    messageId: message.id,
    interactionId: message.interactionId,
    customerId: message.customerId,
    channel: message.channel,
    attempts: message.attempts,
    ...(message.meetingId ? { meetingId: message.meetingId } : {}),
  };
}

/** One attempt at one claimed message, and its outcome written with its event. */
async function attempt(db: Database, transports: Transports, options: DispatcherOptions, log: Logger, claimed: OutboundMessageRow): Promise<void> {
  let outcome: { providerMessageId: string } | { error: string; permanent: boolean; retryAt: Date | null };
  try {
    // STOP honoured for messages queued before it arrived, too.
    if (claimed.channel === 'SMS' && (await isOptedOut(db, claimed.recipient))) throw new DeliveryError('the recipient opted out (STOP)', true);
    // Consent withdrawn while a marketing message waited: it is not sent (FAILED, with the reason).
    const missingConsent = claimed.purpose === 'MARKETING' ? await missingMarketingConsent(db, claimed.customerId, claimed.channel) : null;
    if (missingConsent) throw new DeliveryError(`not sent: marketing without consent (${missingConsent})`, true);
    outcome = await transports[claimed.channel].send(await outgoing(db, claimed));
  } catch (error) {
    const delivery = error instanceof DeliveryError;
    if (!delivery) log.error({ err: error, messageId: claimed.id }, 'sending a message failed unexpectedly');
    outcome = {
      error: delivery ? error.message : `unexpected: ${(error as Error).message}`,
      permanent: delivery && error.permanent,
      retryAt: delivery ? error.retryAt : null,
    };
  }
  const now = new Date();
  await db.transaction(async (tx) => {
    if ('providerMessageId' in outcome) {
      const sent = await finishAttempt(tx, claimed, { status: 'SENT', providerMessageId: outcome.providerMessageId, sentAt: now, lastError: null }, now);
      if (!sent) return; // the lease ran out and another dispatcher took it over: its outcome counts
      await recordEvent(tx, outbox, EVENTS, {
        type: 'cmp.interaction.MessageSent',
        aggregateType: 'Message',
        aggregateId: sent.id,
        customerId: sent.customerId,
        data: { ...messageEventData(sent), providerMessageId: outcome.providerMessageId },
      });
      return;
    }
    if (outcome.retryAt) {
      // Not tried (the provider's circuit is open): the attempt is given back and the message waits.
      await finishAttempt(tx, claimed, { status: 'QUEUED', nextAttemptAt: outcome.retryAt, lastError: outcome.error, attempts: claimed.attempts - 1 }, now);
      return;
    }
    if (!outcome.permanent && claimed.attempts < options.maxAttempts) {
      const nextAttemptAt = new Date(now.getTime() + backoffAfter(claimed.attempts, options));
      await finishAttempt(tx, claimed, { status: 'QUEUED', nextAttemptAt, lastError: outcome.error }, now);
      return;
    }
    const failed = await finishAttempt(tx, claimed, { status: 'FAILED', failedAt: now, lastError: outcome.error }, now);
    if (!failed) return;
    log.warn({ messageId: failed.id, attempts: failed.attempts, error: outcome.error }, 'message failed after its last attempt');
    await recordEvent(tx, outbox, EVENTS, {
      type: 'cmp.interaction.MessageFailed',
      aggregateType: 'Message',
      aggregateId: failed.id,
      customerId: failed.customerId,
      data: { ...messageEventData(failed), error: outcome.error },
    });
  });
}

/** One round: claims what is due and sends it, a batch at a time. Returns how many messages were attempted. */
export async function dispatchDueMessages(db: Database, transports: Transports, options: DispatcherOptions, log: Logger): Promise<number> {
  let total = 0;
  for (;;) {
    const claimed = await claimDueMessages(db, { now: new Date(), limit: options.batchSize ?? 20, leaseMs: options.leaseMs });
    if (!claimed.length) return total;
    await Promise.all(claimed.map((message) => attempt(db, transports, options, log, message)));
    total += claimed.length;
  }
}

/** The background sender of a subgraph process; every replica runs one. */
export function startMessageDispatcher(
  db: Database,
  transports: Transports,
  options: DispatcherOptions & { intervalMs: number; onRound?: (attempted: number) => void },
  log: Logger,
): RunningJob {
  return startIntervalJob('message-dispatcher', options.intervalMs, log, async () => {
    options.onRound?.(await dispatchDueMessages(db, transports, options, log));
  });
}
