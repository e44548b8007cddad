import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError, nudgeOutbox, type Database, type Logger, type Settings, type SubgraphDefinition } from '@cmp/platform';
import { applySmsStatus, receiveSms, type SmsStatusReport } from '../domain/delivery.ts';
import { startMessageDispatcher } from './dispatcher.ts';
import { transportsFromSettings } from './transport.ts';

interface DeliveryRuntime {
  /** Sender of e-mails and ORGANIZER of invitations. */
  from: string;
  /** The SMS provider's token, which its callbacks must present; null when no provider is configured. */
  smsToken: string | null;
}

let runtime: DeliveryRuntime = { from: 'no-reply@cmp.localhost', smsToken: null };

/** Called from the subgraph's `configure`: what requests need to know of the delivery settings. */
export function configureDelivery(settings: Settings): void {
  runtime = { from: settings.delivery.from, smsToken: settings.delivery.sms?.token ?? null };
}

export function organizerAddress(): string {
  return runtime.from;
}

/** The dispatcher of this process, sending through each channel's configured transport. */
export async function startDelivery({ db, settings, logger }: { db: Database; settings: Settings; logger: Logger }): Promise<{ stop(): Promise<void> }> {
  const transports = transportsFromSettings(settings, db);
  const log = logger.child({ component: 'message-dispatcher' });
  log.info({ email: transports.EMAIL.name, sms: transports.SMS.name }, 'message dispatcher started');
  const job = startMessageDispatcher(db, transports, { ...settings.delivery, onRound: (sent) => sent > 0 && nudgeOutbox('interaction') }, log);
  return {
    async stop() {
      await job.stop();
      transports.EMAIL.close?.();
      transports.SMS.close?.();
    },
  };
}

type Router = Parameters<NonNullable<SubgraphDefinition<unknown>['routes']>>[0];
type Response = Parameters<Parameters<Router['post']>[1]>[1];

const MAX_CALLBACK_BYTES = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_CALLBACK_BYTES) throw new CallbackError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below as every body that is not a JSON object
  }
  throw new CallbackError(400, 'the body must be a JSON object');
}

class CallbackError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function authenticate(req: IncomingMessage): void {
  if (!runtime.smsToken) throw new CallbackError(404, 'no SMS provider is configured');
  const given = Buffer.from(String(req.headers.authorization ?? ''));
  const expected = Buffer.from(`Bearer ${runtime.smsToken}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CallbackError(401, 'the provider token is missing or wrong');
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') throw new CallbackError(400, `${field}: is required`, field);
  return value;
}

async function answer(res: Response, log: Logger, work: () => Promise<Record<string, unknown>>) {
  try {
    res.status(200).json(await work());
  } catch (error) {
    if (error instanceof CallbackError) {
      res.status(error.status).json({ error: error.message, ...(error.field ? { field: error.field } : {}) });
    } else if (error instanceof AppError) {
      res.status(400).json({ error: error.message, code: error.code, ...(error.extensions.field ? { field: error.extensions.field } : {}) });
    } else {
      log.error({ err: error }, 'SMS provider callback failed');
      res.status(500).json({ error: 'internal error' });
    }
  }
}

const STATUS_REPORTS: Record<string, SmsStatusReport> = { delivered: 'delivered', undelivered: 'undelivered', failed: 'failed' };

/**
 * The SMS provider's callbacks, authenticated by its token: `POST /v1/sms/status` `{ id, status: delivered |
 * undelivered | failed, error? }` and `POST /v1/sms/inbound` `{ from, to, body }` (STOP and START keywords).
 */
export function deliveryRoutes(router: Router, { db, logger }: { db: Database; logger: Logger }): void {
  const log = logger.child({ component: 'sms-callbacks' });
  const events = { source: 'cmp.interaction', traceparent: null };
  router.post('/v1/sms/status', (req, res) =>
    answer(res, log, async () => {
      authenticate(req);
      const body = await readJson(req);
      const id = requireString(body, 'id');
      const status = STATUS_REPORTS[String(body.status ?? '').toLowerCase()];
      if (!status) throw new CallbackError(400, 'status: must be delivered, undelivered or failed', 'status');
      const message = await applySmsStatus(db, events, { providerMessageId: id, status, error: typeof body.error === 'string' ? body.error.slice(0, 1000) : null });
      if (!message) throw new CallbackError(404, `no SMS was sent with the provider id ${id}`, 'id');
      nudgeOutbox('interaction');
      return { messageId: message.id, status: message.status };
    }),
  );
  router.post('/v1/sms/inbound', (req, res) =>
    answer(res, log, async () => {
      authenticate(req);
      const body = await readJson(req);
      const action = await receiveSms(db, { from: requireString(body, 'from'), body: typeof body.body === 'string' ? body.body : '' });
      return { action };
    }),
  );
}
