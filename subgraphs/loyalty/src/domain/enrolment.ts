import { recordEvent, refuseErasedCustomer, requireUuid, type Caller, type Database, type EventContext } from '@cmp/platform';
import { insertAccount, insertTierChange, nextMemberSequence } from '../db/accounts.repo.ts';
import { erasedCustomers, outbox, type AccountRow } from '../db/schema.ts';
import { formatMemberNumber, type LoyaltyTier } from './tiers.ts';

export interface EnrolInput {
  customerId: string;
  tier?: LoyaltyTier | null;
}

/** Opens a Club Iberia Plus account with its first tier-history row and a LoyaltyMemberEnrolled event. */
export async function enrollMember(db: Database, caller: Caller, events: EventContext, input: EnrolInput): Promise<AccountRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const tier = input.tier ?? 'CLASICA';
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    const account = await insertAccount(tx, {
      customerId,
      memberNumber: formatMemberNumber(await nextMemberSequence(tx)),
      tier,
      enrolledBy: caller.subject,
    });
    await insertTierChange(tx, { accountId: account.id, fromTier: null, toTier: tier, reason: 'ENROLMENT', changedBy: caller.subject });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.loyalty.LoyaltyMemberEnrolled',
      aggregateType: 'LoyaltyAccount',
      aggregateId: account.id,
      customerId,
      data: { accountId: account.id, customerId, memberNumber: account.memberNumber, tier },
    });
    return account;
  });
}
