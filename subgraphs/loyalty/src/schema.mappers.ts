import type { AccountRow, TierChangeRow } from './db/schema.ts';

export type LoyaltyAccountMapper = AccountRow;
export type TierChangeMapper = TierChangeRow;
export type CustomerMapper = { id: string };
