import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths that never reach a log line, whatever logs them (one level deep for the `*.` forms). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'password',
  '*.password',
  'secret',
  '*.secret',
  // Personal data: the sensitive fields (DOMAIN.md), e-mail addresses and phone numbers.
  'passportNumber',
  '*.passportNumber',
  'passport',
  '*.passport',
  'dateOfBirth',
  '*.dateOfBirth',
  'billingAddress',
  '*.billingAddress',
  'shippingAddress',
  '*.shippingAddress',
  'street',
  '*.street',
  'zipCode',
  '*.zipCode',
  'email',
  '*.email',
  'primaryEmail',
  '*.primaryEmail',
  'phone',
  '*.phone',
  'primaryPhone',
  '*.primaryPhone',
  // GraphQL variables carry whatever the client sent.
  'variables',
  '*.variables',
  // A lounge QR is a bearer credential until it is used: never written to a log.
  'payload',
  '*.payload',
  'qrCode',
  '*.qrCode',
];

/** Properties of a logged error that hold the values a failing statement or request carried. */
const ERROR_VALUE_KEYS = new Set(['params', 'parameters', 'detail', 'variables', 'args']);

/**
 * Free text that may echo values: a failed query's parameter list (drizzle puts it in the message and so the
 * stack), e-mail addresses, bearer tokens and JWTs, E.164 phone numbers.
 */
export function scrubLogText(text: string): string {
  return text
    .replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/g, '\nparams: [redacted]')
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]')
    .replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[token]')
    .replace(/\b(Bearer\s+)\S+/gi, '$1[redacted]')
    .replace(/\+\d{7,15}\b/g, '[phone]');
}

/** pino's error serializer, without the values an error carries (query parameters, constraint details). */
export function serializeLoggedError(err: unknown): unknown {
  const out = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!out || typeof out !== 'object' || out === err) return out;
  for (const key of Object.keys(out)) if (ERROR_VALUE_KEYS.has(key)) out[key] = '[redacted]';
  if (typeof out.message === 'string') out.message = scrubLogText(out.message);
  if (typeof out.stack === 'string') out.stack = scrubLogText(out.stack);
  // Cutting a failed query's parameters also cut the cause appended after them; it is worth keeping.
  const { params, cause } = err as { params?: unknown; cause?: unknown };
  if (params !== undefined && cause instanceof Error) out.message = `${out.message}; caused by: ${scrubLogText(cause.message)}`;
  return out;
}

export function createLogger(options: { name: string; level?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeLoggedError },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    ...(options.destination ? [options.destination] : []),
  );
}
