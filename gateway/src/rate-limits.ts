import type http from 'node:http';
import type { Caller, TokenVerifier } from '@cmp/platform';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface CallerRateLimiter {
  /** Counts one request for `key`; the whole seconds to wait when the key is over its limit, else null. */
  consume(key: string): Promise<number | null>;
}

/**
 * A fixed budget per caller per window, counted in this gateway's memory. Each replica counts for itself: behind
 * a load balancer spreading callers over N replicas a caller may get up to N times the budget, which is what the
 * limit is for (stopping one caller's flood, not metering), and no shared store sits in every request's path.
 * `points` 0 turns it off.
 */
export function callerRateLimiter(points: number, windowSeconds: number): CallerRateLimiter | null {
  if (points <= 0) return null;
  const limiter = new RateLimiterMemory({ points, duration: windowSeconds });
  return {
    async consume(key) {
      try {
        await limiter.consume(key, 1);
        return null;
      } catch (result) {
        if (result instanceof RateLimiterRes) return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
        throw result;
      }
    },
  };
}

/** The address the request came from (the socket's peer: the gateway trusts no forwarding header for this). */
export function clientAddress(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Who a request counts against: the token's subject when the token is valid (verified tokens are cached, so this
 * costs nothing extra), else the client address: a forged or expired token cannot spend someone else's budget.
 */
export async function rateLimitKey(verifier: TokenVerifier, req: http.IncomingMessage): Promise<string> {
  const authorization = req.headers.authorization;
  if (authorization) {
    try {
      return callerKey(await verifier.verify(authorization));
    } catch {
      // refused tokens are answered by the request itself; the address pays for it
    }
  }
  return `address:${clientAddress(req)}`;
}

export const callerKey = (caller: Caller) => `subject:${caller.subject}`;

/** The answer to a caller over its limit: 429 with Retry-After, in GraphQL's error shape. */
export function sendRateLimited(res: http.ServerResponse, retryAfterSeconds: number): void {
  res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfterSeconds) });
  res.end(
    JSON.stringify({
      errors: [
        {
          message: `Too many requests; try again in ${retryAfterSeconds} s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
        },
      ],
    }),
  );
}
