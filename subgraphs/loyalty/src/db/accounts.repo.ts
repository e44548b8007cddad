import { nextSequenceValue, type Executor } from '@cmp/platform';
import { asc, eq, inArray } from 'drizzle-orm';
import { accounts, tierHistory, type AccountRow, type TierChangeRow } from './schema.ts';

export function nextMemberSequence(db: Executor): Promise<number> {
  return nextSequenceValue(db, 'loyalty.member_number_seq');
}

export async function insertAccount(db: Executor, values: typeof accounts.$inferInsert): Promise<AccountRow> {
  const [row] = await db.insert(accounts).values(values).returning();
  return row!;
}

export async function insertTierChange(db: Executor, values: typeof tierHistory.$inferInsert): Promise<TierChangeRow> {
  const [row] = await db.insert(tierHistory).values(values).returning();
  return row!;
}

export function findAccountsByIds(db: Executor, ids: readonly string[]): Promise<AccountRow[]> {
  return db.select().from(accounts).where(inArray(accounts.id, [...ids]));
}

export function findAccountsByCustomerIds(db: Executor, customerIds: readonly string[]): Promise<AccountRow[]> {
  return db.select().from(accounts).where(inArray(accounts.customerId, [...customerIds]));
}

export function findTierHistory(db: Executor, accountIds: readonly string[]): Promise<TierChangeRow[]> {
  return db
    .select()
    .from(tierHistory)
    .where(inArray(tierHistory.accountId, [...accountIds]))
    .orderBy(asc(tierHistory.changedAt), asc(tierHistory.id));
}

export async function setTier(db: Executor, accountId: string, tier: AccountRow['tier'], tierExpiresAt: Date | null): Promise<AccountRow> {
  const [row] = await db.update(accounts).set({ tier, tierExpiresAt, updatedAt: new Date() }).where(eq(accounts.id, accountId)).returning();
  return row!;
}

export async function findAccountById(db: Executor, id: string): Promise<AccountRow | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row ?? null;
}

/** The external system's view of an account, as last confirmed. */
export async function applyExternalState(
  db: Executor,
  accountId: string,
  state: { tier: AccountRow['tier']; aviosBalance: number; elitePoints: number },
  syncedAt: Date,
): Promise<AccountRow> {
  const [row] = await db
    .update(accounts)
    .set({ ...state, syncedAt, updatedAt: syncedAt })
    .where(eq(accounts.id, accountId))
    .returning();
  return row!;
}
