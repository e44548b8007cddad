import { recordEvent, type Caller, type Database, type EventContext } from '@cmp/platform';
import { failureReason, type ExternalLoyaltySystem } from '../adapters/external-loyalty.ts';
import { applyExternalState, findAccountById } from '../db/accounts.repo.ts';
import { outbox, type AccountRow } from '../db/schema.ts';
import { changeTier } from './tier-changes.ts';

export type DataSource = 'LOCAL' | 'EXTERNAL' | 'EXTERNAL_STALE';

export interface AccountView {
  account: AccountRow;
  source: DataSource;
  /** When the data was last confirmed by its source. */
  asOf: Date;
  /** Why the external system could not be asked, when it could not. */
  failure: string | null;
}

/**
 * Refreshes an account from the external system of record. When that system is down, slow or its circuit is
 * open, the last stored state is the answer, with its age and the reason; nothing is blocked.
 */
export async function refreshAccount(
  db: Database,
  caller: Caller,
  events: EventContext,
  system: ExternalLoyaltySystem | null,
  account: AccountRow,
  now = new Date(),
): Promise<AccountView> {
  if (!system) return { account, source: 'LOCAL', asOf: account.updatedAt, failure: null };
  try {
    const state = await system.fetchMember(account.memberNumber);
    const updated = await db.transaction(async (tx) => {
      const current = (await findAccountById(tx, account.id))!;
      if (current.tier !== state.tier) {
        await changeTier(tx, events, current, { to: state.tier, expiresAt: current.tierExpiresAt, reason: 'EXTERNAL_SYNC', changedBy: caller.subject, manual: false });
      }
      const synced = await applyExternalState(tx, account.id, state, now);
      await recordEvent(tx, outbox, events, {
        type: 'cmp.loyalty.LoyaltyAccountSynced',
        aggregateType: 'LoyaltyAccount',
        aggregateId: account.id,
        customerId: account.customerId,
        data: { accountId: account.id, customerId: account.customerId, ...state, syncedAt: now.toISOString() },
      });
      return synced;
    });
    return { account: updated, source: 'EXTERNAL', asOf: now, failure: null };
  } catch (error) {
    return { account, source: 'EXTERNAL_STALE', asOf: account.syncedAt ?? account.updatedAt, failure: failureReason(error) };
  }
}

/** Uses the stored state while it is younger than `maxAgeSeconds`, and refreshes it otherwise. */
export async function currentAccount(
  db: Database,
  caller: Caller,
  events: EventContext,
  system: ExternalLoyaltySystem | null,
  account: AccountRow,
  now = new Date(),
): Promise<AccountView> {
  if (system && account.syncedAt && now.getTime() - account.syncedAt.getTime() <= system.maxAgeSeconds * 1000) {
    return { account, source: 'EXTERNAL', asOf: account.syncedAt, failure: null };
  }
  return refreshAccount(db, caller, events, system, account, now);
}
