import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { z } from 'zod';
import { LOYALTY_TIERS, type LoyaltyTier } from '../domain/tiers.ts';

export interface ExternalMemberState {
  tier: LoyaltyTier;
  aviosBalance: number;
  elitePoints: number;
}

export interface ExternalLoyaltyOptions {
  baseUrl: string;
  /** Bound on one attempt. */
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Consecutive failed attempts that open the circuit. */
  breakAfter?: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs?: number;
  initialBackoffMs?: number;
  /** How old a stored copy may be before a read asks the system again. */
  maxAgeSeconds?: number;
}

/** A failure of the outside system (unreachable, slow, 5xx); a 404 is an answer, not a failure. */
export class ExternalSystemError extends Error {
  override name = 'ExternalSystemError';
}

export class MemberNotFoundExternally extends Error {
  override name = 'MemberNotFoundExternally';
}

const memberState = z.object({
  tier: z.enum(LOYALTY_TIERS),
  aviosBalance: z.number().int().min(0),
  elitePoints: z.number().int().min(0),
});

/**
 * The airline's loyalty system of record over REST: each attempt bounded by a timeout, retried with exponential
 * backoff, behind a circuit breaker that stops calling a failing system and lets one trial through later.
 */
export class ExternalLoyaltySystem {
  private readonly policy: IPolicy;
  private readonly breaker;

  constructor(private readonly options: ExternalLoyaltyOptions) {
    const isFailure = handleWhen((error) => error instanceof ExternalSystemError || error instanceof TaskCancelledError);
    this.breaker = circuitBreaker(isFailure, {
      halfOpenAfter: options.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
    });
    const retries = retry(isFailure, {
      maxAttempts: (options.maxAttempts ?? 3) - 1,
      backoff: new ExponentialBackoff({ initialDelay: options.initialBackoffMs ?? 100, maxDelay: 2_000 }),
    });
    this.policy = wrap(retries, this.breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  }

  get maxAgeSeconds(): number {
    return this.options.maxAgeSeconds ?? 900;
  }

  get circuit(): 'CLOSED' | 'OPEN' | 'HALF_OPEN' {
    const state = this.breaker.state;
    return state === CircuitState.Open || state === CircuitState.Isolated ? 'OPEN' : state === CircuitState.HalfOpen ? 'HALF_OPEN' : 'CLOSED';
  }

  async fetchMember(memberNumber: string): Promise<ExternalMemberState> {
    const url = new URL(`v1/members/${encodeURIComponent(memberNumber)}`, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    return this.policy.execute(async ({ signal }) => {
      let response: Response;
      try {
        response = await fetch(url, { signal, headers: { accept: 'application/json' } });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ExternalSystemError(`loyalty system unreachable: ${(error as Error).message}`);
      }
      if (response.status === 404) throw new MemberNotFoundExternally(`member ${memberNumber} is unknown to the loyalty system`);
      if (!response.ok) throw new ExternalSystemError(`loyalty system answered HTTP ${response.status}`);
      const parsed = memberState.safeParse(await response.json());
      if (!parsed.success) throw new ExternalSystemError('loyalty system answered with an unexpected body');
      return parsed.data;
    });
  }
}

/** A short, stable name for why a call failed, for answers and logs. */
export function failureReason(error: unknown): string {
  if (error instanceof BrokenCircuitError) return 'CIRCUIT_OPEN';
  if (error instanceof TaskCancelledError) return 'TIMEOUT';
  return (error as Error).message;
}

let configured: ExternalLoyaltySystem | null = null;

/** The process's one adapter (its breaker state is shared by every request), or null when none is configured. */
export function externalLoyaltySystem(): ExternalLoyaltySystem | null {
  return configured;
}

export function configureExternalLoyalty(options: ExternalLoyaltyOptions | null): ExternalLoyaltySystem | null {
  configured = options ? new ExternalLoyaltySystem(options) : null;
  return configured;
}
