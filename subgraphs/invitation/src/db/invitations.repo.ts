import { preparedQuery, type Executor } from '@cmp/platform';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { invitations, lounges, type InvitationRow, type InvitationStatus, type LoungeRow } from './schema.ts';

export async function upsertLounges(db: Executor, rows: (typeof lounges.$inferInsert)[]): Promise<void> {
  await db
    .insert(lounges)
    .values(rows)
    .onConflictDoUpdate({
      target: lounges.code,
      set: {
        airport: sql`excluded.airport`,
        terminal: sql`excluded.terminal`,
        name: sql`excluded.name`,
        capacity: sql`excluded.capacity`,
        openingHours: sql`excluded.opening_hours`,
      },
    });
}

export function findActiveLounges(db: Executor): Promise<LoungeRow[]> {
  return db.select().from(lounges).where(eq(lounges.active, true)).orderBy(asc(lounges.code));
}

export function findLoungesByCodes(db: Executor, codes: readonly string[]): Promise<LoungeRow[]> {
  return db.select().from(lounges).where(inArray(lounges.code, [...codes]));
}

export async function insertInvitation(db: Executor, values: typeof invitations.$inferInsert): Promise<InvitationRow> {
  const [row] = await db.insert(invitations).values(values).returning();
  return row!;
}

/** The read behind every `invitation(id)`, including each live subscriber's per event: built once, prepared. */
export function findInvitationsByIds(db: Executor, ids: readonly string[]): Promise<InvitationRow[]> {
  const query = preparedQuery(db, 'invitations_by_ids', (d) =>
    d.select().from(invitations).where(sql`${invitations.id} = any(${sql.placeholder('ids')}::uuid[])`).prepare('invitations_by_ids'),
  );
  return query.execute({ ids: [...ids] });
}

/** Newest first; `statuses` narrows when given. */
export function findInvitationsOfCustomers(
  db: Executor,
  customerIds: readonly string[],
  statuses: readonly InvitationStatus[] | null,
): Promise<InvitationRow[]> {
  return db
    .select()
    .from(invitations)
    .where(and(inArray(invitations.customerId, [...customerIds]), statuses ? inArray(invitations.status, [...statuses]) : undefined))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
}
