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
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';

/** A failure of an outside system (unreachable, slow, 5xx). Answers such as 404 or 403 are not failures. */
export class OutsideSystemError extends Error {
  override name = 'OutsideSystemError';
}

export interface ResilienceOptions {
  /** Bound on one attempt. */
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Consecutive failed attempts that open the circuit. */
  breakAfter?: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export type CircuitName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * How every call to an outside system is made: each attempt bounded by a timeout (the attempt's AbortSignal
 * fires), failures retried with exponential backoff, behind a circuit breaker that stops calling a failing system
 * and lets one trial through later. Only OutsideSystemError and timeouts count as failures.
 */
export class Resilience {
  private readonly policy: IPolicy;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(options: ResilienceOptions) {
    const isFailure = handleWhen((error) => error instanceof OutsideSystemError || error instanceof TaskCancelledError);
    this.breaker = circuitBreaker(isFailure, {
      halfOpenAfter: options.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
    });
    const retries = retry(isFailure, {
      maxAttempts: (options.maxAttempts ?? 3) - 1,
      backoff: new ExponentialBackoff({ initialDelay: options.initialBackoffMs ?? 100, maxDelay: options.maxBackoffMs ?? 2_000 }),
    });
    this.policy = wrap(retries, this.breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  }

  get circuit(): CircuitName {
    const state = this.breaker.state;
    return state === CircuitState.Open || state === CircuitState.Isolated ? 'OPEN' : state === CircuitState.HalfOpen ? 'HALF_OPEN' : 'CLOSED';
  }

  /** Runs `attempt` under the policy. A network error that is not the timeout's own abort becomes OutsideSystemError. */
  execute<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policy.execute(async ({ signal }) => {
      try {
        return await attempt(signal);
      } catch (error) {
        if (signal.aborted || !(error instanceof TypeError)) throw error;
        throw new OutsideSystemError(`unreachable: ${error.message}`);
      }
    });
  }
}

/** A short, stable name for why a call failed, for answers and logs. */
export function failureReason(error: unknown): string {
  if (error instanceof BrokenCircuitError) return 'CIRCUIT_OPEN';
  if (error instanceof TaskCancelledError) return 'TIMEOUT';
  return (error as Error).message;
}

/** True when `error` means the outside system could not answer (as opposed to answering no). */
export function isOutsideFailure(error: unknown): boolean {
  return error instanceof OutsideSystemError || error instanceof BrokenCircuitError || error instanceof TaskCancelledError;
}
