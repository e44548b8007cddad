import { BadUserInputError, recordEvent, type Database, type EventContext, type Executor } from '@cmp/platform';
import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { cases, outbox, slaMilestones, slaPolicies, type CaseRow, type SlaMilestoneRow, type SlaPolicyRow } from '../db/schema.ts';
import { addBusinessMinutes, parseCalendar } from './calendar.ts';
import { CASE_PRIORITIES, DEFAULT_ESCALATION_HOURS, type CasePriority } from './rules.ts';

/** Round the clock, resolution within the escalation thresholds of DOMAIN.md. */
export const DEFAULT_SLA: Record<CasePriority, { firstResponseMinutes: number; resolutionMinutes: number }> = {
  CRITICAL: { firstResponseMinutes: 30, resolutionMinutes: DEFAULT_ESCALATION_HOURS.CRITICAL * 60 },
  HIGH: { firstResponseMinutes: 2 * 60, resolutionMinutes: DEFAULT_ESCALATION_HOURS.HIGH * 60 },
  MEDIUM: { firstResponseMinutes: 8 * 60, resolutionMinutes: DEFAULT_ESCALATION_HOURS.MEDIUM * 60 },
  LOW: { firstResponseMinutes: 24 * 60, resolutionMinutes: DEFAULT_ESCALATION_HOURS.LOW * 60 },
};

export async function seedSlaPolicies(db: Executor): Promise<void> {
  await db
    .insert(slaPolicies)
    .values(CASE_PRIORITIES.map((priority) => ({ priority, ...DEFAULT_SLA[priority] })))
    .onConflictDoNothing();
}

export interface SlaPolicyInput {
  priority: CasePriority;
  firstResponseMinutes: number;
  resolutionMinutes: number;
  warnPercent?: number | null;
  calendar?: string | null;
}

/** Changes one priority's service level; cases already open keep the milestones they were given. */
export async function setSlaPolicy(db: Database, input: SlaPolicyInput): Promise<SlaPolicyRow> {
  for (const field of ['firstResponseMinutes', 'resolutionMinutes'] as const) {
    if (!Number.isInteger(input[field]) || input[field] < 1 || input[field] > 365 * 24 * 60) throw new BadUserInputError(field, 'must be from 1 minute to a year');
  }
  if (input.firstResponseMinutes > input.resolutionMinutes) throw new BadUserInputError('firstResponseMinutes', 'must not exceed resolutionMinutes');
  const warnPercent = input.warnPercent ?? 80;
  if (!Number.isInteger(warnPercent) || warnPercent < 1 || warnPercent > 99) throw new BadUserInputError('warnPercent', 'must be from 1 to 99');
  const calendar = input.calendar?.trim() || null;
  if (calendar && !parseCalendar(calendar)) {
    throw new BadUserInputError('calendar', 'must read like "Europe/Madrid 1-5 09:00-18:00" (IANA zone, ISO weekdays, opening hours)');
  }
  const values = { priority: input.priority, firstResponseMinutes: input.firstResponseMinutes, resolutionMinutes: input.resolutionMinutes, warnPercent, calendar };
  const [row] = await db.insert(slaPolicies).values(values).onConflictDoUpdate({ target: slaPolicies.priority, set: values }).returning();
  return row!;
}

function deadline(policy: SlaPolicyRow, from: Date, minutes: number): Date {
  const calendar = policy.calendar ? parseCalendar(policy.calendar) : null;
  return calendar ? addBusinessMinutes(from, minutes, calendar) : new Date(from.getTime() + minutes * 60_000);
}

/** The two milestones of a new case, from its priority's policy, in the opening transaction. */
export async function startMilestones(tx: Executor, row: CaseRow): Promise<void> {
  const [policy] = await tx.select().from(slaPolicies).where(eq(slaPolicies.priority, row.priority));
  if (!policy) return;
  const milestone = (kind: 'FIRST_RESPONSE' | 'RESOLUTION', minutes: number) => ({
    caseId: row.id,
    kind,
    dueAt: deadline(policy, row.createdAt, minutes),
    warnAt: deadline(policy, row.createdAt, Math.max(1, Math.floor((minutes * policy.warnPercent) / 100))),
  });
  await tx.insert(slaMilestones).values([milestone('FIRST_RESPONSE', policy.firstResponseMinutes), milestone('RESOLUTION', policy.resolutionMinutes)]);
}

/**
 * Records a milestone reached at `at`: MET when in time; a milestone the scheduler already marked MISSED stays
 * missed but gets its time. Only the first response counts.
 */
export async function reachMilestone(tx: Executor, caseId: string, kind: 'FIRST_RESPONSE' | 'RESOLUTION', at: Date): Promise<void> {
  await tx
    .update(slaMilestones)
    .set({ metAt: at, status: sql`case when ${slaMilestones.status} = 'PENDING' and ${slaMilestones.dueAt} >= ${at.toISOString()}::timestamptz then 'MET' else 'MISSED' end` })
    .where(and(eq(slaMilestones.caseId, caseId), eq(slaMilestones.kind, kind), sql`${slaMilestones.metAt} is null`));
}

/**
 * Warns of milestones about to be missed and marks missed ones, each once: rows are claimed with FOR UPDATE SKIP
 * LOCKED, so schedulers in several replicas never announce one twice.
 */
export async function checkMilestones(db: Database, events: EventContext, now = new Date()): Promise<{ warned: number; breached: number }> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(slaMilestones)
      .where(and(eq(slaMilestones.status, 'PENDING'), lte(slaMilestones.warnAt, now), or(isNull(slaMilestones.warnedAt), lte(slaMilestones.dueAt, now))))
      .orderBy(asc(slaMilestones.warnAt))
      .limit(500)
      .for('update', { skipLocked: true });
    const owners = due.length
      ? await tx.select({ id: cases.id, customerId: cases.customerId, caseNumber: cases.caseNumber }).from(cases).where(inArray(cases.id, due.map((m) => m.caseId)))
      : [];
    const ownerOf = new Map(owners.map((o) => [o.id, o]));
    let warned = 0;
    let breached = 0;
    for (const milestone of due) {
      const { customerId, caseNumber } = ownerOf.get(milestone.caseId)!;
      const missed = milestone.dueAt <= now;
      await tx
        .update(slaMilestones)
        .set(missed ? { status: 'MISSED', warnedAt: milestone.warnedAt ?? now } : { warnedAt: now })
        .where(and(eq(slaMilestones.caseId, milestone.caseId), eq(slaMilestones.kind, milestone.kind)));
      await recordEvent(tx, outbox, events, {
        type: missed ? 'cmp.case.CaseSlaBreached' : 'cmp.case.CaseSlaWarning',
        aggregateType: 'Case',
        aggregateId: milestone.caseId,
        customerId,
        data: { caseId: milestone.caseId, caseNumber, customerId, milestone: milestone.kind, dueAt: milestone.dueAt.toISOString() },
      });
      if (missed) breached += 1;
      else warned += 1;
    }
    return { warned, breached };
  });
}

export type { SlaMilestoneRow };
