import {
  BadUserInputError,
  startIntervalJob,
  DomainRuleError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
  type Logger,
  type RunningJob,
} from '@cmp/platform';
import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { insertHistory } from '../db/cases.repo.ts';
import { checkMilestones, reachMilestone } from './sla.ts';
import { caseComments, cases, outbox, type CaseCommentRow, type CaseRow } from '../db/schema.ts';
import {
  COMMENT_MAX,
  DEFAULT_ESCALATION_HOURS,
  NOTE_MAX,
  RESOLUTION_MIN,
  DESCRIPTION_MAX,
  TRANSITIONS,
  type CasePriority,
  type CaseStatus,
} from './rules.ts';

async function load(db: Executor, id: string): Promise<CaseRow> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id));
  if (!row) throw new NotFoundError('Case', id, 'COMP-001');
  return row;
}

function refuseTransition(row: CaseRow, to: CaseStatus): never {
  const allowed = TRANSITIONS[row.status];
  throw new DomainRuleError(
    'COMP-003',
    `A ${row.status} case cannot move to ${to}; ${allowed.length ? `it may move to ${allowed.join(' or ')}` : 'it is final'}`,
    { from: row.status, to, allowed },
  );
}

/** The history row and the CaseStatusChanged event of one move, in the move's transaction. */
async function recordStatusChange(tx: Executor, events: EventContext, row: CaseRow, to: CaseStatus, note: string, actor: string, at: Date) {
  await insertHistory(tx, { caseId: row.id, fromStatus: row.status, toStatus: to, note, actor, at });
  await recordEvent(tx, outbox, events, {
    type: 'cmp.case.CaseStatusChanged',
    aggregateType: 'Case',
    aggregateId: row.id,
    customerId: row.customerId,
    data: { caseId: row.id, caseNumber: row.caseNumber, customerId: row.customerId, fromStatus: row.status, toStatus: to, note, actor },
  });
}

/**
 * Moves a case along the state machine with one conditional UPDATE from the status it was read in, so two
 * agents changing one case at once cannot both succeed from the same state; the history row and the event
 * commit with it.
 */
async function transition(
  db: Database,
  events: EventContext,
  row: CaseRow,
  to: CaseStatus,
  note: string,
  actor: string,
  now: Date,
  changes: Partial<typeof cases.$inferInsert> = {},
  /** More events of the same change, written in its transaction. */
  also?: (tx: Executor, updated: CaseRow) => Promise<unknown>,
): Promise<CaseRow> {
  if (!TRANSITIONS[row.status].includes(to)) refuseTransition(row, to);
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(cases)
      .set({ ...changes, status: to, updatedAt: now })
      .where(and(eq(cases.id, row.id), eq(cases.status, row.status)))
      .returning();
    if (!updated) refuseTransition(await load(tx, row.id), to);
    await recordStatusChange(tx, events, row, to, note, actor, now);
    // Any staff move counts as the first response; resolving also meets the resolution milestone.
    await reachMilestone(tx, row.id, 'FIRST_RESPONSE', now);
    if (to === 'RESOLVED') await reachMilestone(tx, row.id, 'RESOLUTION', now);
    await also?.(tx, updated!);
    return updated!;
  });
}

export interface ChangeCaseStatusInput {
  caseId: string;
  status: CaseStatus;
  note: string;
}

/** Any allowed move but resolving, which needs the resolution (`resolveCase`). A note is always required. */
export async function changeCaseStatus(db: Database, caller: Caller, events: EventContext, input: ChangeCaseStatusInput, now = new Date()) {
  const row = await load(db, requireUuid('caseId', input.caseId));
  const note = requireLength('note', input.note, { min: 1, max: NOTE_MAX });
  if (input.status === 'RESOLVED') throw new BadUserInputError('status', 'resolve a case with resolveCase, which records the resolution');
  return transition(db, events, row, input.status, note, caller.subject, now, {}, (tx, changed) =>
    input.status === 'ESCALATED' ? recordEscalated(tx, events, changed, 'MANUAL', caller.subject, note) : Promise.resolve(),
  );
}

export interface ResolveCaseInput {
  caseId: string;
  resolution: string;
  compensationOffered?: { amountMinor: number; currency: string } | null;
  customerSatisfied: boolean;
}

/**
 * IN_PROGRESS or ESCALATED → RESOLVED with the resolution (20+ characters), whether the customer is satisfied and
 * any compensation offered; the resolution time is kept. CustomerComplaintResolved says when a follow-up is due.
 */
export async function resolveCase(db: Database, caller: Caller, events: EventContext, input: ResolveCaseInput, now = new Date()) {
  const row = await load(db, requireUuid('caseId', input.caseId));
  if (row.status === 'RESOLVED' || row.status === 'CLOSED') {
    throw new DomainRuleError('COMP-002', `Case ${row.caseNumber} is already ${row.status}`, { status: row.status });
  }
  const resolution = requireLength('resolution', input.resolution, { min: RESOLUTION_MIN, max: DESCRIPTION_MAX });
  const offered = input.compensationOffered ?? null;
  if (offered) {
    if (!Number.isInteger(offered.amountMinor) || offered.amountMinor < 0) {
      throw new BadUserInputError('compensationOffered.amountMinor', 'must be a whole number of minor units, 0 or more');
    }
    if (!/^[A-Z]{3}$/.test(offered.currency)) throw new BadUserInputError('compensationOffered.currency', 'must be an ISO 4217 code such as EUR');
  }
  const resolutionMinutes = Math.max(0, Math.round((now.getTime() - row.createdAt.getTime()) / 60_000));
  return transition(
    db,
    events,
    row,
    'RESOLVED',
    resolution,
    caller.subject,
    now,
    {
      resolution,
      customerSatisfied: input.customerSatisfied,
      compensationOfferedMinor: offered?.amountMinor ?? null,
      compensationCurrency: offered?.currency ?? null,
      resolvedAt: now,
      resolutionMinutes,
    },
    (tx) =>
      recordEvent(tx, outbox, events, {
        type: 'cmp.case.CustomerComplaintResolved',
        aggregateType: 'Case',
        aggregateId: row.id,
        customerId: row.customerId,
        data: {
          caseId: row.id,
          caseNumber: row.caseNumber,
          customerId: row.customerId,
          customerSatisfied: input.customerSatisfied,
          // The interaction subgraph opens a follow-up task for an unsatisfied customer.
          followUpRequired: !input.customerSatisfied,
          resolutionMinutes,
          compensationOffered: offered,
          resolvedBy: caller.subject,
        },
      }),
  );
}

function recordEscalated(db: Executor, events: EventContext, row: CaseRow, trigger: 'AUTO' | 'MANUAL', actor: string, reason: string) {
  return recordEvent(db, outbox, events, {
    type: 'cmp.case.CaseEscalated',
    aggregateType: 'Case',
    aggregateId: row.id,
    customerId: row.customerId,
    data: { caseId: row.id, caseNumber: row.caseNumber, customerId: row.customerId, priority: row.priority, trigger, actor, reason },
  });
}

/** A comment; a staff member's first comment the customer can see is the case's first response. */
export async function addComment(db: Database, caller: Caller, caseId: string, body: string, internal: boolean, byStaff: boolean, now = new Date()): Promise<CaseCommentRow> {
  const row = await load(db, requireUuid('caseId', caseId));
  if (row.status === 'CLOSED') throw new DomainRuleError('COMP-003', `Case ${row.caseNumber} is CLOSED and takes no more comments`, { from: 'CLOSED' });
  const text = requireLength('body', body, { min: 1, max: COMMENT_MAX });
  return db.transaction(async (tx) => {
    const [comment] = await tx.insert(caseComments).values({ caseId: row.id, author: caller.subject, body: text, internal, createdAt: now }).returning();
    if (byStaff && !internal) await reachMilestone(tx, row.id, 'FIRST_RESPONSE', now);
    return comment!;
  });
}

/**
 * Escalates every open case left unresolved past its priority's threshold, once: claimed with FOR UPDATE SKIP
 * LOCKED and marked `auto_escalated_at`, so schedulers in several replicas split the work and never escalate (or
 * announce) one case twice.
 */
export async function escalateOverdue(
  db: Database,
  events: EventContext,
  hours: Record<CasePriority, number> = DEFAULT_ESCALATION_HOURS,
  now = new Date(),
  batchSize = 200,
): Promise<CaseRow[]> {
  const overdue = or(
    ...(Object.entries(hours) as [CasePriority, number][]).map(([priority, h]) =>
      and(eq(cases.priority, priority), lte(cases.createdAt, new Date(now.getTime() - h * 3_600_000))),
    ),
  );
  const escalated: CaseRow[] = [];
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(cases)
        .where(and(inArray(cases.status, ['NEW', 'IN_PROGRESS']), isNull(cases.autoEscalatedAt), overdue))
        .orderBy(asc(cases.createdAt))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      const done: CaseRow[] = [];
      for (const row of due) {
        const limit = hours[row.priority];
        const note = `Unresolved after ${limit} h (${row.priority}): escalated automatically`;
        const [updated] = await tx
          .update(cases)
          .set({ status: 'ESCALATED', autoEscalatedAt: now, updatedAt: now })
          .where(and(eq(cases.id, row.id), sql`${cases.autoEscalatedAt} is null`))
          .returning();
        if (!updated) continue;
        await recordStatusChange(tx, events, row, 'ESCALATED', note, 'system:escalation', now);
        await recordEscalated(tx, events, updated, 'AUTO', 'system:escalation', note);
        done.push(updated);
      }
      return done;
    });
    escalated.push(...batch);
    if (batch.length < batchSize) return escalated;
  }
}

/**
 * Runs the escalation and the service-level checks every `intervalMs` in this process (replicas split the work).
 */
export function startEscalationScheduler(db: Database, log: Logger, intervalMs: number, hours: Record<CasePriority, number>): RunningJob {
  return startIntervalJob('case escalation', intervalMs, log, async () => {
    const escalated = await escalateOverdue(db, { source: 'cmp.case' }, hours);
    if (escalated.length) log.info({ count: escalated.length }, 'overdue cases escalated');
    const sla = await checkMilestones(db, { source: 'cmp.case' });
    if (sla.warned + sla.breached) log.info(sla, 'service-level milestones warned or missed');
  });
}
