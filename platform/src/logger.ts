import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that never reach a log line, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'passportNumber',
  '*.passportNumber',
  'dateOfBirth',
  '*.dateOfBirth',
  'variables',
  '*.variables',
  // A lounge QR is a bearer credential until it is used: never written to a log.
  'payload',
  '*.payload',
  'qrCode',
  '*.qrCode',
];

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
