export const LEDGER_KINDS = ['ACCRUAL', 'REDEMPTION', 'EXPIRY', 'ADJUSTMENT'] as const;
export const LEDGER_SOURCES = ['FLIGHT', 'PURCHASE', 'PARTNER', 'REWARD', 'PROGRAMME', 'MANUAL'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];
export type LedgerSource = (typeof LEDGER_SOURCES)[number];

/** The event each kind of posting emits. */
export const LEDGER_EVENT: Record<LedgerKind, string> = {
  ACCRUAL: 'cmp.loyalty.PointsAccrued',
  REDEMPTION: 'cmp.loyalty.AviosRedeemed',
  EXPIRY: 'cmp.loyalty.AviosExpired',
  ADJUSTMENT: 'cmp.loyalty.PointsAdjusted',
};
