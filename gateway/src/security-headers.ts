import { createHash } from 'node:crypto';
import type http from 'node:http';
import helmet from 'helmet';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Headers on every gateway answer: HSTS (a year, subdomains; browsers heed it over TLS only), nosniff, frames
 * refused, no referrer, and a CSP that allows nothing (the API answers JSON; nothing in it is meant to run).
 */
export function withSecurityHeaders(handler: Handler): Handler {
  const secure = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  return (req, res) => {
    secure(req as never, res as never, () => handler(req, res));
  };
}

/** The SHA-256 CSP sources of every inline `<script>` in a page. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`,
  );
}

/**
 * The explorer's own CSP: its two inline scripts by hash (nothing else runs, no eval), its editor's workers
 * from blob URLs, styles inline (the editor injects style elements at run time, which hashes cannot cover),
 * requests only to this origin (queries over HTTP, subscriptions over WebSocket).
 */
export function explorerCsp(html: string): string {
  return [
    "default-src 'none'",
    `script-src ${inlineScriptHashes(html).join(' ')}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob: data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
