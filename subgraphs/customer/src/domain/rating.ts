import type { CustomerRow } from '../db/schema.ts';

export type CustomerRating = CustomerRow['rating'];

/** What the rating is computed from: the customer's own purchases and what other subgraphs told us. */
export interface RatingSignals {
  /** Purchases not refunded in full. */
  paidPurchases: number;
  /** Share of the purchased value (reporting currency) refunded, in basis points: 0-10,000; 0 without purchases. */
  refundedShareBasisPoints: number;
  /** Lounge visits and other events the customer attended. */
  eventsAttended: number;
  /** Complaints (cases) the customer opened. */
  complaints: number;
  /** The customer's testimonials approved for publication. */
  testimonials: number;
}

/**
 * The automatic rating: points from each signal, added up, then banded.
 *
 * | signal                        | points                                     |
 * | ----------------------------- | ------------------------------------------ |
 * | paid purchases                | 0 → 0, 1-2 → +1, 3-9 → +2, 10 or more → +3 |
 * | refunded share of the value   | up to 20 % → 0, over 20 % → -1, over 50 % → -2 |
 * | events attended               | 0 → 0, 1-2 → +1, 3 or more → +2            |
 * | testimonials                  | +1 each, at most +2                        |
 * | complaints                    | 0 → 0, 1 → -1, 2-3 → -2, 4 or more → -3    |
 *
 * | total points | rating    |
 * | ------------ | --------- |
 * | 5 or more    | EXCELLENT |
 * | 2 to 4       | GOOD      |
 * | 0 or 1       | FAIR      |
 * | below 0      | POOR      |
 *
 * UNRATED when there is no signal at all: no purchase (paid or refunded), no event attended, no complaint and
 * no testimonial. A customer whose only purchases were refunded in full has a signal (its refunds).
 */
export function ratingFor(s: RatingSignals): CustomerRating {
  if (s.paidPurchases === 0 && s.refundedShareBasisPoints === 0 && s.eventsAttended === 0 && s.complaints === 0 && s.testimonials === 0) {
    return 'UNRATED';
  }
  const points = ratingPoints(s);
  if (points >= 5) return 'EXCELLENT';
  if (points >= 2) return 'GOOD';
  if (points >= 0) return 'FAIR';
  return 'POOR';
}

export function ratingPoints(s: RatingSignals): number {
  const purchases = s.paidPurchases >= 10 ? 3 : s.paidPurchases >= 3 ? 2 : s.paidPurchases >= 1 ? 1 : 0;
  const refunds = s.refundedShareBasisPoints > 5_000 ? -2 : s.refundedShareBasisPoints > 2_000 ? -1 : 0;
  const events = s.eventsAttended >= 3 ? 2 : s.eventsAttended >= 1 ? 1 : 0;
  const testimonials = Math.min(s.testimonials, 2);
  const complaints = s.complaints >= 4 ? -3 : s.complaints >= 2 ? -2 : s.complaints >= 1 ? -1 : 0;
  return purchases + refunds + events + testimonials + complaints;
}

/** The refunded share in basis points, rounded down, from reporting-currency totals (integers, no floats). */
export function refundedShareBasisPoints(reportingAmountMinor: number, reportingRefundedMinor: number): number {
  if (reportingAmountMinor <= 0) return 0;
  return Number((BigInt(reportingRefundedMinor) * 10_000n) / BigInt(reportingAmountMinor));
}
