import { recordEvent, type EventContext, type Transaction } from '@cmp/platform';
import { insertTierChange, setTier } from '../db/accounts.repo.ts';
import { outbox, type AccountRow } from '../db/schema.ts';
import type { LoyaltyTier } from './tiers.ts';

/** Moves an account to a tier with its history row and a LoyaltyTierChanged event, in the caller's transaction. */
export async function changeTier(
  tx: Transaction,
  events: EventContext,
  account: AccountRow,
  change: { to: LoyaltyTier; expiresAt: Date | null; reason: string; changedBy: string; manual: boolean },
): Promise<AccountRow> {
  const updated = await setTier(tx, account.id, change.to, change.expiresAt);
  await insertTierChange(tx, { accountId: account.id, fromTier: account.tier, toTier: change.to, reason: change.reason, changedBy: change.changedBy });
  await recordEvent(tx, outbox, events, {
    type: 'cmp.loyalty.LoyaltyTierChanged',
    aggregateType: 'LoyaltyAccount',
    aggregateId: account.id,
    customerId: account.customerId,
    data: {
      accountId: account.id,
      customerId: account.customerId,
      fromTier: account.tier,
      toTier: change.to,
      reason: change.reason,
      manual: change.manual,
      tierExpiresAt: change.expiresAt?.toISOString() ?? null,
    },
  });
  return updated;
}
