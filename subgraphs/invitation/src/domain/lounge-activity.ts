import { decodeCursor, type Executor } from '@cmp/platform';
import { and, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import { invitations, scans, type InvitationStatus, type LoungeRow, type ScanOutcome } from '../db/schema.ts';

export interface Page {
  limit: number;
  after: string | null;
}

/** Invitations whose window touches the lounge's local day, latest start first. */
export async function invitationsOfLoungeDay(
  db: Executor,
  lounge: LoungeRow,
  day: { start: Date; end: Date },
  statuses: readonly InvitationStatus[] | null,
  page: Page,
) {
  const position = page.after ? decodeCursor('after', page.after) : null;
  return db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.loungeCode, lounge.code),
        lt(invitations.validFrom, day.end),
        gt(invitations.validUntil, day.start),
        statuses ? inArray(invitations.status, [...statuses]) : undefined,
        position ? or(lt(invitations.validFrom, position.at), and(eq(invitations.validFrom, position.at), lt(invitations.id, position.id))) : undefined,
      ),
    )
    .orderBy(desc(invitations.validFrom), desc(invitations.id))
    .limit(page.limit + 1);
}

/** Scans at the lounge since `since`, newest first. */
export async function scansOfLounge(db: Executor, loungeCode: string, since: Date, outcomes: readonly ScanOutcome[] | null, page: Page) {
  const position = page.after ? decodeCursor('after', page.after) : null;
  return db
    .select()
    .from(scans)
    .where(
      and(
        eq(scans.loungeCode, loungeCode),
        gt(scans.scannedAt, since),
        outcomes ? inArray(scans.outcome, [...outcomes]) : undefined,
        position ? or(lt(scans.scannedAt, position.at), and(eq(scans.scannedAt, position.at), lt(scans.id, position.id))) : undefined,
      ),
    )
    .orderBy(desc(scans.scannedAt), desc(scans.id))
    .limit(page.limit + 1);
}

export interface Occupancy {
  loungeCode: string;
  capacity: number;
  /** People admitted within the dwell time: the door scans entries, not exits, so this is an estimate. */
  occupancy: number;
  available: number;
  dwellMinutes: number;
  asOf: Date;
}

/** Occupancy of several lounges in one query. */
export async function occupancyOf(db: Executor, rows: readonly LoungeRow[], dwellMinutes: number, now = new Date()): Promise<Occupancy[]> {
  const since = new Date(now.getTime() - dwellMinutes * 60_000);
  const counts = await db
    .select({ loungeCode: scans.loungeCode, admitted: sql<number>`coalesce(sum(${scans.admitted}), 0)::int` })
    .from(scans)
    .where(and(inArray(scans.loungeCode, rows.map((l) => l.code)), eq(scans.outcome, 'ADMITTED'), gt(scans.scannedAt, since)))
    .groupBy(scans.loungeCode);
  const admitted = new Map(counts.map((c) => [c.loungeCode, Number(c.admitted)]));
  return rows.map((lounge) => {
    const occupancy = admitted.get(lounge.code) ?? 0;
    return { loungeCode: lounge.code, capacity: lounge.capacity, occupancy, available: Math.max(0, lounge.capacity - occupancy), dwellMinutes, asOf: now };
  });
}
