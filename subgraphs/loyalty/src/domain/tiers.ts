/** Club Iberia Plus tiers (DOMAIN.md), lowest first. */
export const LOYALTY_TIERS = ['CLASICA', 'PLATA', 'ORO', 'PLATINO', 'PLATINO_PRIME', 'INFINITA', 'INFINITA_PRIME'] as const;
export type LoyaltyTier = (typeof LOYALTY_TIERS)[number];
export type OneworldTier = 'NONE' | 'RUBY' | 'SAPPHIRE' | 'EMERALD';

export interface TierRule {
  oneworld: OneworldTier;
  loungeAccess: boolean;
  guestAllowance: number;
}

/** The tier table of DOMAIN.md: oneworld equivalent and lounge rights of each tier. */
export const TIER_RULES: Record<LoyaltyTier, TierRule> = {
  CLASICA: { oneworld: 'NONE', loungeAccess: false, guestAllowance: 0 },
  PLATA: { oneworld: 'RUBY', loungeAccess: false, guestAllowance: 0 },
  ORO: { oneworld: 'SAPPHIRE', loungeAccess: true, guestAllowance: 1 },
  PLATINO: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1 },
  PLATINO_PRIME: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1 },
  INFINITA: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1 },
  INFINITA_PRIME: { oneworld: 'EMERALD', loungeAccess: true, guestAllowance: 1 },
};

export function formatMemberNumber(sequence: number): string {
  return `IB${String(sequence).padStart(9, '0')}`;
}
