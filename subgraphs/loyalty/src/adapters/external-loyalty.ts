import { OutsideSystemError, Resilience, failureReason, type ResilienceOptions } from '@cmp/platform';
import { z } from 'zod';
import { LOYALTY_TIERS, type LoyaltyTier } from '../domain/tiers.ts';

export { failureReason };

export interface ExternalMemberState {
  tier: LoyaltyTier;
  aviosBalance: number;
  elitePoints: number;
}

export interface ExternalLoyaltyOptions extends ResilienceOptions {
  baseUrl: string;
  /** How old a stored copy may be before a read asks the system again. */
  maxAgeSeconds?: number;
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
  private readonly resilience: Resilience;

  constructor(private readonly options: ExternalLoyaltyOptions) {
    this.resilience = new Resilience(options);
  }

  get maxAgeSeconds(): number {
    return this.options.maxAgeSeconds ?? 900;
  }

  get circuit() {
    return this.resilience.circuit;
  }

  async fetchMember(memberNumber: string): Promise<ExternalMemberState> {
    const url = new URL(`v1/members/${encodeURIComponent(memberNumber)}`, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    return this.resilience.execute(async (signal) => {
      const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
      if (response.status === 404) throw new MemberNotFoundExternally(`member ${memberNumber} is unknown to the loyalty system`);
      if (!response.ok) throw new OutsideSystemError(`loyalty system answered HTTP ${response.status}`);
      const parsed = memberState.safeParse(await response.json());
      if (!parsed.success) throw new OutsideSystemError('loyalty system answered with an unexpected body');
      return parsed.data;
    });
  }
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
