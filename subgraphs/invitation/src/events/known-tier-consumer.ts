import type { EventConsumer } from '@cmp/platform';
import { rememberTier } from '../domain/eligibility.ts';

/**
 * Keeps the last known tier of every member current from loyalty's own events, so the fallback used while loyalty
 * cannot answer also knows customers never asked about before. Idempotent and order-safe: an older event never
 * overwrites a newer tier.
 */
export const knownTierConsumer: EventConsumer = {
  name: 'invitation.known-tiers',
  types: ['cmp.loyalty.LoyaltyMemberEnrolled', 'cmp.loyalty.LoyaltyTierChanged'],
  async handle(db, event) {
    const tier = (event.data as { tier?: string; toTier?: string }).toTier ?? (event.data as { tier?: string }).tier;
    if (!event.customerid || !tier) return;
    await rememberTier(db, event.customerid, tier, new Date(event.time));
  },
};
