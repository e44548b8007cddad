/** Club Iberia Plus tiers (DOMAIN.md), lowest first. */
export const LOYALTY_TIERS = ['CLASICA', 'PLATA', 'ORO', 'PLATINO', 'PLATINO_PRIME', 'INFINITA', 'INFINITA_PRIME'] as const;
export type LoyaltyTier = (typeof LOYALTY_TIERS)[number];
export type OneworldTier = 'NONE' | 'RUBY' | 'SAPPHIRE' | 'EMERALD';

export interface TierRule {
  oneworld: OneworldTier;
  loungeAccess: boolean;
  guestAllowance: number;
  /** Elite Points in the qualification period that reach the tier. */
  elitePoints?: number;
  /** Or flights in the period. */
  flights?: number;
  /** Or lifetime Elite Points (Infinita). */
  lifetimeElitePoints?: number;
}

/** The tier table of DOMAIN.md: how each tier is reached, its oneworld equivalent and its lounge rights. */
export const TIER_RULES: Record<LoyaltyTier, TierRule> = {
  CLASICA: { oneworld: 'NONE', loungeAccess: false, guestAllowance: 0 },
  PLATA: { oneworld: 'RUBY', loungeAccess: false, guestAllowance: 0, elitePoints: 3_500, flights: 20 },
  ORO: { oneworld: 'SAPPHIRE', loungeAccess: true, guestAllowance: 1, elitePoints: 7_500, flights: 40 },
  PLATINO: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1, elitePoints: 20_000, flights: 90 },
  PLATINO_PRIME: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1, elitePoints: 30_000 },
  INFINITA: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1, lifetimeElitePoints: 400_000 },
  INFINITA_PRIME: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1, lifetimeElitePoints: 640_000 },
};

export function tierRank(tier: LoyaltyTier): number {
  return LOYALTY_TIERS.indexOf(tier);
}

export function higherTier(a: LoyaltyTier, b: LoyaltyTier): LoyaltyTier {
  return tierRank(a) >= tierRank(b) ? a : b;
}

export interface QualifyingActivity {
  elitePoints: number;
  flights: number;
  lifetimeElitePoints: number;
}

/** The highest tier the activity reaches by any of its routes (period EP, period flights, lifetime EP). */
export function qualifiedTier(activity: QualifyingActivity): LoyaltyTier {
  let reached: LoyaltyTier = 'CLASICA';
  for (const tier of LOYALTY_TIERS) {
    const rule = TIER_RULES[tier];
    const byPoints = rule.elitePoints !== undefined && activity.elitePoints >= rule.elitePoints;
    const byFlights = rule.flights !== undefined && activity.flights >= rule.flights;
    const byLifetime = rule.lifetimeElitePoints !== undefined && activity.lifetimeElitePoints >= rule.lifetimeElitePoints;
    if (byPoints || byFlights || byLifetime) reached = tier;
  }
  return reached;
}

/** A tier earned now holds until the end of the following calendar year (the next qualification period). */
export function tierExpiry(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear() + 1, 11, 31, 23, 59, 59));
}

export function formatMemberNumber(sequence: number): string {
  return `IB${String(sequence).padStart(9, '0')}`;
}
