import {
  AppError,
  BadUserInputError,
  DomainRuleError,
  ForbiddenError,
  OutsideSystemError,
  Resilience,
  UnauthenticatedError,
  failureReason,
  isOutsideFailure,
  rememberTier,
  type Caller,
  type Executor,
  type Logger,
} from '@cmp/platform';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { evaluateEligibility, loungeRule } from '@cmp/subgraph-loyalty/lounge-rules';
import { LOYALTY_TIERS, type LoyaltyTier } from '@cmp/subgraph-loyalty/tiers';
import { knownTiers, type Cabin, type EligibilitySource } from '../db/schema.ts';


export interface EligibilityDecision {
  eligible: boolean;
  guestsAllowed: number;
  /** TIER, CABIN, TIER_TOO_LOW, TIER_EXPIRED, NOT_A_MEMBER. */
  reason: string;
  tier: string | null;
  source: EligibilitySource;
  /** When the loyalty data behind the decision was last confirmed. */
  asOf: Date | null;
}

export interface EligibilityQuestion {
  customerId: string;
  loungeCode: string;
  cabin: Cabin;
  date: Date;
}

const answerSchema = z.object({
  eligible: z.boolean(),
  guestsAllowed: z.number().int().min(0),
  reason: z.string(),
  tier: z.string().nullable(),
  dataAsOf: z.string().nullable(),
});
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });

/**
 * Asks the loyalty subgraph (its `GET /v1/lounge-eligibility`) with the caller's own token, under a timeout,
 * retries and a circuit breaker. A refusal from loyalty (403, 400) is passed on as such; only an unreachable,
 * slow or failing loyalty counts against the breaker.
 */
export class LoyaltyEligibilityClient {
  private readonly resilience: Resilience;
  private readonly url: URL;

  constructor(loyaltyGraphqlUrl: string, timeoutMs: number) {
    this.url = new URL('/v1/lounge-eligibility', loyaltyGraphqlUrl);
    this.resilience = new Resilience({ timeoutMs, maxAttempts: 2, initialBackoffMs: 50, breakAfter: 5, halfOpenAfterMs: 10_000 });
  }

  get circuit() {
    return this.resilience.circuit;
  }

  ask(caller: Caller, question: EligibilityQuestion, headers: Record<string, string>): Promise<EligibilityDecision> {
    const url = new URL(this.url);
    url.search = new URLSearchParams({
      customerId: question.customerId,
      loungeCode: question.loungeCode,
      cabin: question.cabin,
      date: question.date.toISOString(),
    }).toString();
    return this.resilience.execute(async (signal) => {
      const response = await fetch(url, { signal, headers: { ...headers, accept: 'application/json', authorization: `Bearer ${caller.token}` } });
      if (response.status >= 500 || response.status === 429) throw new OutsideSystemError(`loyalty answered HTTP ${response.status}`);
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        const refusal = errorSchema.safeParse(body);
        if (response.status === 401) throw new UnauthenticatedError(refusal.success ? refusal.data.error.message : 'loyalty did not accept the token');
        if (response.status === 403) throw new ForbiddenError(refusal.success ? refusal.data.error.message : 'loyalty refused the eligibility check');
        if (refusal.success && refusal.data.error.field) throw new BadUserInputError(refusal.data.error.field, refusal.data.error.message);
        throw new OutsideSystemError(`loyalty answered HTTP ${response.status}`);
      }
      const answer = answerSchema.safeParse(body);
      if (!answer.success) throw new OutsideSystemError('loyalty answered with an unexpected body');
      return {
        eligible: answer.data.eligible,
        guestsAllowed: answer.data.guestsAllowed,
        reason: answer.data.reason,
        tier: answer.data.tier,
        source: 'LOYALTY' as const,
        asOf: answer.data.dataAsOf ? new Date(answer.data.dataAsOf) : new Date(),
      };
    });
  }
}

/**
 * The lounge rule of DOMAIN.md (loyalty's own, shared as `@cmp/subgraph-loyalty/lounge-rules`) applied to a tier
 * this subgraph already knows: Oro and above with one guest, else Business and First on the ticket.
 */
export function decideLocally(
  loungeCode: string,
  tier: string | null,
  cabin: Cabin,
  date: Date,
  source: EligibilitySource,
  asOf: Date | null,
): EligibilityDecision {
  const rule = loungeRule(loungeCode);
  if (!rule) return { eligible: false, guestsAllowed: 0, reason: 'UNKNOWN_LOUNGE', tier, source, asOf };
  const known = tier && (LOYALTY_TIERS as readonly string[]).includes(tier) ? { tier: tier as LoyaltyTier, tierExpiresAt: null } : null;
  return { ...evaluateEligibility(known, rule, cabin, date), source, asOf };
}

export interface EligibilityPolicy {
  client: LoyaltyEligibilityClient | null;
  /** 0 refuses to decide without loyalty. */
  lastKnownTierMaxAgeSeconds: number;
}

/**
 * The decision for one invitation: from loyalty when it answers (and remembered), else from the last known tier
 * when it is recent enough, else the cabin when it alone admits, else a retryable refusal. The decision says which.
 */
export async function decideEligibility(
  db: Executor,
  policy: EligibilityPolicy,
  caller: Caller,
  question: EligibilityQuestion,
  headers: Record<string, string>,
  log: Logger,
  now = new Date(),
): Promise<EligibilityDecision> {
  let failure = 'loyalty subgraph not configured';
  if (policy.client) {
    try {
      const decision = await policy.client.ask(caller, question, headers);
      await rememberTier(db, knownTiers, question.customerId, decision.tier, decision.asOf ?? now);
      return decision;
    } catch (error) {
      if (error instanceof AppError || !isOutsideFailure(error)) throw error;
      failure = failureReason(error);
      log.warn({ failure, customerId: question.customerId }, 'loyalty eligibility unavailable; trying the last known tier');
    }
  }
  const [known] = await db.select().from(knownTiers).where(eq(knownTiers.customerId, question.customerId));
  const maxAgeMs = policy.lastKnownTierMaxAgeSeconds * 1000;
  if (known && maxAgeMs > 0 && now.getTime() - known.asOf.getTime() <= maxAgeMs) {
    return decideLocally(question.loungeCode, known.tier, question.cabin, question.date, 'LAST_KNOWN_TIER', known.asOf);
  }
  const byCabin = decideLocally(question.loungeCode, null, question.cabin, question.date, 'CABIN', null);
  if (byCabin.eligible) return byCabin;
  throw new DomainRuleError('INV-003', 'Lounge eligibility cannot be checked right now (the loyalty service did not answer); try again shortly', {
    retryable: true,
    reason: failure,
    lastKnownTierAsOf: known?.asOf.toISOString() ?? null,
  });
}
