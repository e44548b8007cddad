import type { Executor } from '@cmp/platform';
import { and, desc, eq, getTableColumns, gte, inArray, lte, sql } from 'drizzle-orm';
import { accounts, ledgerEntries, type AccountRow, type LedgerEntryRow } from './schema.ts';

/** Inserts the entry unless this account already has one with its external id; returns null then. */
export async function insertEntryOnce(db: Executor, values: typeof ledgerEntries.$inferInsert): Promise<LedgerEntryRow | null> {
  const [row] = await db
    .insert(ledgerEntries)
    .values(values)
    .onConflictDoNothing({ target: [ledgerEntries.accountId, ledgerEntries.externalId] })
    .returning();
  return row ?? null;
}

export async function findEntryByExternalId(db: Executor, accountId: string, externalId: string): Promise<LedgerEntryRow | null> {
  const [row] = await db
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.accountId, accountId), eq(ledgerEntries.externalId, externalId)));
  return row ?? null;
}

export async function setBalanceAfter(db: Executor, entryId: string, aviosBalanceAfter: number): Promise<LedgerEntryRow> {
  const [row] = await db.update(ledgerEntries).set({ aviosBalanceAfter }).where(eq(ledgerEntries.id, entryId)).returning();
  return row!;
}

export interface BalanceChange {
  avios: number;
  elitePoints: number;
  flights: number;
}

/**
 * Applies a change in one conditional UPDATE: the row lock serialises concurrent postings, and the condition
 * refuses any that would take a balance below zero. Returns null when refused (or the account is unknown).
 */
export async function applyBalanceChange(db: Executor, accountId: string, change: BalanceChange): Promise<AccountRow | null> {
  const [row] = await db
    .update(accounts)
    .set({
      aviosBalance: sql`${accounts.aviosBalance} + ${change.avios}`,
      elitePoints: sql`${accounts.elitePoints} + ${change.elitePoints}`,
      qualifyingFlights: sql`${accounts.qualifyingFlights} + ${change.flights}`,
      lifetimeElitePoints: sql`${accounts.lifetimeElitePoints} + ${Math.max(0, change.elitePoints)}`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(accounts.id, accountId),
        gte(sql`${accounts.aviosBalance} + ${change.avios}`, 0),
        gte(sql`${accounts.elitePoints} + ${change.elitePoints}`, 0),
      ),
    )
    .returning();
  return row ?? null;
}

/** Each account's newest entries (up to `limit + 1`), keyset-paginated on (created_at, id), in one query. */
export async function findStatements(
  db: Executor,
  accountIds: readonly string[],
  page: { limit: number; after: { at: Date; id: string } | null },
): Promise<LedgerEntryRow[]> {
  const t = ledgerEntries;
  const ranked = db
    .select({
      ...getTableColumns(t),
      rank: sql<number>`row_number() over (partition by ${t.accountId} order by ${t.createdAt} desc, ${t.id} desc)`.as('rank'),
    })
    .from(t)
    .where(
      and(
        inArray(t.accountId, [...accountIds]),
        page.after ? sql`(${t.createdAt}, ${t.id}) < (${page.after.at.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .as('ranked');
  const rows = await db.select().from(ranked).where(lte(ranked.rank, page.limit + 1)).orderBy(desc(ranked.createdAt), desc(ranked.id));
  return rows.map(({ rank: _rank, ...row }) => ({ ...row, occurredAt: new Date(row.occurredAt), createdAt: new Date(row.createdAt) }));
}
