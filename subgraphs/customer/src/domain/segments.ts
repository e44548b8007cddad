import type { CustomerRow } from '../db/schema.ts';

export type CustomerSegment = CustomerRow['segment'];

/** EUR 10,000.00 and EUR 50,000.00 in cents: the segment thresholds are "more than", so exactly these stay below. */
export const PREMIUM_ABOVE_MINOR = 1_000_000;
export const VIP_ABOVE_MINOR = 5_000_000;

/**
 * The automatic segment (DOMAIN.md): an Enterprise is Corporate whatever it spends; otherwise lifetime value
 * (EUR cents) above 50,000.00 is VIP, above 10,000.00 Premium, anything else Standard.
 */
export function segmentFor(type: CustomerRow['type'], lifetimeValueMinor: number): CustomerSegment {
  if (type === 'ENTERPRISE') return 'CORPORATE';
  if (lifetimeValueMinor > VIP_ABOVE_MINOR) return 'VIP';
  if (lifetimeValueMinor > PREMIUM_ABOVE_MINOR) return 'PREMIUM';
  return 'STANDARD';
}
