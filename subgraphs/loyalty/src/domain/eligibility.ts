import type { AccountRow } from '../db/schema.ts';
import { TIER_RULES, tierRank, type LoyaltyTier } from './tiers.ts';

export const CABINS = ['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST'] as const;
export type Cabin = (typeof CABINS)[number];

export type EligibilityReason = 'TIER' | 'CABIN' | 'TIER_TOO_LOW' | 'TIER_EXPIRED' | 'NOT_A_MEMBER';

interface LoungeRule {
  /** The lowest Club Iberia Plus tier admitted on status alone. */
  minimumTier: LoyaltyTier;
  /** Cabins admitted whatever the tier, on the day of the flight. */
  premiumCabins: readonly Cabin[];
}

/** The lounges' admission rules (DOMAIN.md): Oro and above on status, Business and First on the ticket. */
export const LOUNGE_RULES: Record<string, LoungeRule> = {
  'MAD-VELAZQUEZ': { minimumTier: 'ORO', premiumCabins: ['BUSINESS', 'FIRST'] },
  'MAD-DALI': { minimumTier: 'ORO', premiumCabins: ['BUSINESS', 'FIRST'] },
  'MAD-GOYA': { minimumTier: 'ORO', premiumCabins: ['BUSINESS', 'FIRST'] },
};

export interface Eligibility {
  eligible: boolean;
  guestsAllowed: number;
  reason: EligibilityReason;
  /** The tier the decision used (null for a non-member). */
  tier: LoyaltyTier | null;
}

/** Who may enter a lounge on a date: by tier (valid that day) or by cabin, and how many guests they bring. */
export function evaluateEligibility(
  account: Pick<AccountRow, 'tier' | 'tierExpiresAt'> | null,
  rule: LoungeRule,
  cabin: Cabin,
  date: Date,
): Eligibility {
  const expired = !!account?.tierExpiresAt && account.tierExpiresAt < date;
  const tier: LoyaltyTier | null = account ? (expired ? 'CLASICA' : account.tier) : null;
  const byTier = tier !== null && tierRank(tier) >= tierRank(rule.minimumTier) && TIER_RULES[tier].loungeAccess;
  const guestsAllowed = byTier && tier ? TIER_RULES[tier].guestAllowance : 0;
  if (byTier) return { eligible: true, guestsAllowed, reason: 'TIER', tier };
  if (rule.premiumCabins.includes(cabin)) return { eligible: true, guestsAllowed: 0, reason: 'CABIN', tier };
  return { eligible: false, guestsAllowed: 0, reason: !account ? 'NOT_A_MEMBER' : expired ? 'TIER_EXPIRED' : 'TIER_TOO_LOW', tier };
}

export function loungeRule(loungeCode: string): LoungeRule | undefined {
  return LOUNGE_RULES[loungeCode.trim().toUpperCase()];
}
