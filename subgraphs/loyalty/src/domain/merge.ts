import { mergeOf, recordEvent, type CloudEvent, type Database, type EventConsumer, type EventContext, CUSTOMER_MERGED } from '@cmp/platform';
import { eq, sql } from 'drizzle-orm';
import { applyBalanceChange, insertEntryOnce, setBalanceAfter } from '../db/ledger.repo.ts';
import { accounts, outbox, type AccountRow } from '../db/schema.ts';
import { LEDGER_EVENT } from './ledger-rules.ts';
import { changeTier } from './tier-changes.ts';
import { higherTier, qualifiedTier, tierExpiry, tierRank } from './tiers.ts';

const MERGED = 'cmp.loyalty.LoyaltyAccountMerged';
const MERGER = 'system:customer-merge';

/**
 * A duplicate customer record merged into another takes its loyalty membership along:
 * - only the source is a member: the account itself moves to the target (member number, ledger and tier history
 *   intact);
 * - both are members: the target keeps its member number; the source's Avios, Elite Points and qualifying flights
 *   move to it as a pair of ADJUSTMENT postings (external id `merge:<event id>` on each account, so a redelivered
 *   event posts nothing twice), and the target takes the higher of the two tiers (or what the combined activity
 *   qualifies for). The source account stays, empty, with its history.
 * Either way a LoyaltyAccountMerged event (with the resulting tier) goes to the other subgraphs.
 */
export async function mergeLoyalty(db: Database, event: CloudEvent, now = new Date()): Promise<void> {
  const merge = mergeOf(event);
  if (!merge) return;
  const events: EventContext = { source: 'cmp.loyalty', traceparent: event.traceparent ?? null };
  await db.transaction(async (tx) => {
    const locked = async (customerId: string) =>
      (await tx.select().from(accounts).where(eq(accounts.customerId, customerId)).for('update'))[0] as AccountRow | undefined;
    const source = await locked(merge.sourceCustomerId);
    if (!source) return; // not a member, or already moved by an earlier delivery
    const target = await locked(merge.targetCustomerId);
    const announce = (account: AccountRow, data: Record<string, unknown>) =>
      recordEvent(tx, outbox, events, {
        type: MERGED,
        aggregateType: 'LoyaltyAccount',
        aggregateId: account.id,
        customerId: merge.targetCustomerId,
        data: { ...merge, accountId: account.id, memberNumber: account.memberNumber, tier: account.tier, ...data },
      });

    if (!target) {
      const [moved] = await tx.update(accounts).set({ customerId: merge.targetCustomerId, updatedAt: now }).where(eq(accounts.id, source.id)).returning();
      await announce(moved!, { mode: 'MOVED', aviosMoved: moved!.aviosBalance, elitePointsMoved: moved!.elitePoints });
      return;
    }

    const externalId = `merge:${event.id}`;
    const moved = { avios: source.aviosBalance, elitePoints: source.elitePoints, flights: source.qualifyingFlights };
    const posting = (account: AccountRow, sign: 1 | -1, description: string) =>
      insertEntryOnce(tx, {
        accountId: account.id,
        kind: 'ADJUSTMENT',
        source: 'PROGRAMME',
        avios: sign * moved.avios,
        elitePoints: sign * moved.elitePoints,
        flights: sign * moved.flights,
        externalId,
        description,
        aviosBalanceAfter: 0,
        occurredAt: now,
        recordedBy: MERGER,
      });
    const debit = await posting(source, -1, `Moved to member ${target.memberNumber} when the customer records were merged`);
    if (!debit) return; // this merge was applied already
    const credit = (await posting(target, 1, `Moved from member ${source.memberNumber} when the customer records were merged`))!;

    // The source's history (lifetime Elite Points) stays with it; its balances go.
    const emptied = await applyBalanceChange(tx, source.id, { avios: -moved.avios, elitePoints: -moved.elitePoints, flights: -moved.flights });
    let [combined] = await tx
      .update(accounts)
      .set({
        aviosBalance: sql`${accounts.aviosBalance} + ${moved.avios}`,
        elitePoints: sql`${accounts.elitePoints} + ${moved.elitePoints}`,
        qualifyingFlights: sql`${accounts.qualifyingFlights} + ${moved.flights}`,
        lifetimeElitePoints: sql`${accounts.lifetimeElitePoints} + ${source.lifetimeElitePoints}`,
        updatedAt: now,
      })
      .where(eq(accounts.id, target.id))
      .returning();
    for (const [entry, account] of [
      [debit, emptied!],
      [credit, combined!],
    ] as const) {
      await setBalanceAfter(tx, entry.id, account.aviosBalance);
      await recordEvent(tx, outbox, events, {
        type: LEDGER_EVENT.ADJUSTMENT,
        aggregateType: 'LoyaltyAccount',
        aggregateId: account.id,
        customerId: account.customerId,
        data: { accountId: account.id, customerId: account.customerId, entryId: entry.id, externalId, source: entry.source, avios: entry.avios, elitePoints: entry.elitePoints, aviosBalance: account.aviosBalance },
      });
    }

    const qualified = qualifiedTier({ elitePoints: combined!.elitePoints, flights: combined!.qualifyingFlights, lifetimeElitePoints: combined!.lifetimeElitePoints });
    const best = higherTier(higherTier(source.tier, qualified), combined!.tier);
    if (tierRank(best) > tierRank(combined!.tier)) {
      combined = await changeTier(tx, events, combined!, { to: best, expiresAt: tierExpiry(now), reason: 'MERGE', changedBy: MERGER, manual: false });
    }
    await announce(combined!, { mode: 'COMBINED', sourceAccountId: source.id, sourceMemberNumber: source.memberNumber, aviosMoved: moved.avios, elitePointsMoved: moved.elitePoints });
  });
}

export const customerMergedConsumer: EventConsumer = {
  name: 'loyalty.customer-merged',
  types: [CUSTOMER_MERGED],
  handle: (db, event) => mergeLoyalty(db, event),
};
