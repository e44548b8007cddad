import type { Database, Settings } from '@cmp/platform';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import { capturedMessages, type CalendarMethod, type MessageChannel } from '../db/delivery.schema.ts';

export interface OutgoingEmail {
  channel: 'EMAIL';
  /** Our message id: sent as a header so bounces and the capture can be matched to it. */
  id: string;
  to: string;
  toName: string | null;
  subject: string;
  text: string | null;
  html: string | null;
  attachments: { fileName: string; contentType: string; content: Buffer }[];
  calendar: { method: CalendarMethod; content: string } | null;
}

export interface OutgoingSms {
  channel: 'SMS';
  id: string;
  to: string;
  body: string;
}

export type OutgoingMessage = OutgoingEmail | OutgoingSms;

/** Why a send did not happen. A permanent refusal (an unknown mailbox, a request the provider rejects) is not retried. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly permanent = false,
    /** Not tried at all (the circuit is open): the message waits without spending an attempt. */
    readonly retryAt: Date | null = null,
  ) {
    super(message);
  }
}

/** One way out of the platform: the SMTP server, the SMS provider, or the embedded capture. */
export interface MessageTransport {
  readonly name: string;
  /** Hands the message over and answers with the provider's id for it. Throws DeliveryError when it could not. */
  send(message: OutgoingMessage): Promise<{ providerMessageId: string }>;
  close?(): void;
}

export const MESSAGE_ID_HEADER = 'X-CMP-Message-Id';

function mailOptions(from: string, message: OutgoingEmail): SendMailOptions {
  return {
    from,
    to: message.toName ? { name: message.toName, address: message.to } : message.to,
    subject: message.subject,
    ...(message.text != null ? { text: message.text } : {}),
    ...(message.html != null ? { html: message.html } : {}),
    headers: { [MESSAGE_ID_HEADER]: message.id },
    attachments: message.attachments.map((a) => ({ filename: a.fileName, contentType: a.contentType, content: a.content })),
    // nodemailer sends the event both as the text/calendar alternative (what calendar clients act on) and as invite.ics.
    ...(message.calendar ? { icalEvent: { method: message.calendar.method, filename: 'invite.ics', content: message.calendar.content } } : {}),
  };
}

function expectChannel<C extends MessageChannel>(message: OutgoingMessage, channel: C): asserts message is Extract<OutgoingMessage, { channel: C }> {
  if (message.channel !== channel) throw new DeliveryError(`this transport sends ${channel} only, not ${message.channel}`, true);
}

/** E-mail over SMTP with nodemailer. A 5xx answer is a permanent refusal; anything else is worth another try. */
export function smtpTransport(options: { url: string; from: string; timeoutMs: number }): MessageTransport {
  const transporter = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  return {
    name: 'smtp',
    async send(message) {
      expectChannel(message, 'EMAIL');
      try {
        const info = await transporter.sendMail(mailOptions(options.from, message));
        return { providerMessageId: info.messageId };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        throw new DeliveryError(`SMTP: ${(error as Error).message}`, typeof code === 'number' && code >= 500);
      }
    },
    close: () => transporter.close(),
  };
}

/**
 * SMS through the provider's HTTP API: `POST <url>` with JSON `{ from, to, body, reference }` and the bearer
 * token; a 2xx answer carries the provider's `id`. 408, 429 and 5xx (and no answer) are retried; other 4xx are not.
 */
export function httpSmsTransport(options: { url: string; token: string; from: string; timeoutMs: number }): MessageTransport {
  return {
    name: 'sms-http',
    async send(message) {
      expectChannel(message, 'SMS');
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ from: options.from, to: message.to, body: message.body, reference: message.id }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (error as Error).message;
        throw new DeliveryError(`SMS provider unreachable: ${reason}`);
      }
      const text = await response.text().catch(() => '');
      if (!response.ok) {
        const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
        throw new DeliveryError(`SMS provider answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, !retryable);
      }
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        id = undefined; // reported below with every other answer lacking an id
      }
      if (typeof id !== 'string' || id === '') throw new DeliveryError('SMS provider accepted the message without an id');
      return { providerMessageId: id };
    },
  };
}

/**
 * Embedded mode: nothing leaves the machine. E-mails are composed exactly as SMTP would carry them (same
 * nodemailer options) and SMS as the provider request, and stored for a developer to read (`capturedMessages`).
 */
export function captureTransport(db: Database, from: string): MessageTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'capture',
    async send(message) {
      let raw: string;
      let subject: string | null = null;
      let text: string | null;
      if (message.channel === 'EMAIL') {
        const info = await composer.sendMail(mailOptions(from, message));
        raw = (info.message as Buffer).toString('utf8');
        subject = message.subject;
        text = message.text;
      } else {
        raw = JSON.stringify({ to: message.to, body: message.body, reference: message.id });
        text = message.body;
      }
      const [row] = await db
        .insert(capturedMessages)
        .values({ messageId: message.id, channel: message.channel, recipient: message.to, subject, textBody: text, raw })
        .returning({ id: capturedMessages.id });
      return { providerMessageId: `captured:${row!.id}` };
    },
  };
}

/**
 * Stops calling a provider that failed `breakAfter` times in a row: for `openMs` every send is deferred without a
 * call (and without spending the message's attempts); then one call is let through, and a failure opens it again.
 * A refusal (permanent error) is an answer, so it closes the circuit like a success.
 */
export function withCircuitBreaker(transport: MessageTransport, options: { breakAfter: number; openMs: number }): MessageTransport & { readonly state: 'CLOSED' | 'OPEN' | 'HALF_OPEN' } {
  let failures = 0;
  let openUntil = 0;
  let halfOpen = false;
  return {
    name: transport.name,
    get state() {
      return Date.now() < openUntil ? 'OPEN' : halfOpen ? 'HALF_OPEN' : 'CLOSED';
    },
    async send(message) {
      if (Date.now() < openUntil) {
        throw new DeliveryError(`${transport.name}: circuit open after ${options.breakAfter} failures in a row`, false, new Date(openUntil));
      }
      if (openUntil !== 0) {
        halfOpen = true;
        openUntil = 0;
      }
      try {
        const result = await transport.send(message);
        failures = 0;
        halfOpen = false;
        return result;
      } catch (error) {
        if (error instanceof DeliveryError && error.permanent) {
          failures = 0;
          halfOpen = false;
        } else if (halfOpen || ++failures >= options.breakAfter) {
          openUntil = Date.now() + options.openMs;
          failures = 0;
          halfOpen = false;
        }
        throw error;
      }
    },
    ...(transport.close ? { close: () => transport.close!() } : {}),
  };
}

export type Transports = Record<MessageChannel, MessageTransport>;

/** Each channel's way out from the settings: its provider when configured, the embedded capture otherwise. */
export function transportsFromSettings(settings: Settings, db: Database): Transports {
  const d = settings.delivery;
  const capture = captureTransport(db, d.from);
  const breaker = { breakAfter: d.breakAfter, openMs: d.breakerOpenMs };
  return {
    EMAIL: d.smtpUrl ? withCircuitBreaker(smtpTransport({ url: d.smtpUrl, from: d.from, timeoutMs: d.timeoutMs }), breaker) : capture,
    SMS: d.sms ? withCircuitBreaker(httpSmsTransport({ ...d.sms, timeoutMs: d.timeoutMs }), breaker) : capture,
  };
}
