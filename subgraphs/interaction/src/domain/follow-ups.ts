import {
  BadUserInputError,
  ConflictError,
  decodeCursor,
  ForbiddenError,
  hasPrivilege,
  NotFoundError,
  Privilege,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requirePageSize,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import {
  findFollowUpTask,
  findFollowUpTasks,
  insertFollowUpTask,
  updateFollowUpTask,
  type FollowUpTaskQuery,
} from '../db/follow-ups.repo.ts';
import { erasedCustomers, outbox, TASK_PRIORITIES, type FollowUpTaskRow } from '../db/schema.ts';
import { addTimelineEntry } from './timeline.ts';

export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export type TaskStatus = 'OPEN' | 'DONE';

export interface CreateFollowUpTaskInput {
  customerId: string;
  title: string;
  notes?: string | null;
  dueAt: Date;
  priority: TaskPriority;
  /** An agent's token subject; null or omitted leaves the task in the shared queue. */
  assignee?: string | null;
}

export const MAX_TITLE = 200;
export const MAX_TASK_NOTES = 5000;
export const MAX_COMPLETION_NOTE = 2000;
export const MAX_TASKS_PAGE = 100;
const MAX_ASSIGNEE = 200;

/** An open task past its due time. */
export function isOverdue(task: Pick<FollowUpTaskRow, 'status' | 'dueAt'>, now = new Date()): boolean {
  return task.status === 'OPEN' && task.dueAt.getTime() < now.getTime();
}

function requireAssignee(field: string, value: string | null | undefined): string | null {
  if (value == null) return null;
  return requireLength(field, value, { min: 1, max: MAX_ASSIGNEE });
}

const day = (at: Date) => at.toISOString().slice(0, 10);
const quoted = (title: string) => `“${title.length > 80 ? `${title.slice(0, 79)}…` : title}”`;
const holder = (assignee: string | null) => (assignee ? `assigned to ${assignee}` : 'in the shared queue');

/** Who may hand on or complete a task someone else holds: the ones who manage how work is routed. */
const isSupervisor = (caller: Caller) => hasPrivilege(caller, Privilege.CaseRoutingManage);

/** A task's change on the customer's timeline and as an event, naming who made it. */
export async function announceTask(
  tx: Executor,
  actor: string,
  events: EventContext,
  task: FollowUpTaskRow,
  type: 'FollowUpTaskCreated' | 'FollowUpTaskAssigned' | 'FollowUpTaskCompleted',
  summary: string,
  at: Date,
  data: Record<string, unknown>,
) {
  await addTimelineEntry(tx, events, {
    customerId: task.customerId,
    occurredAt: at,
    type: 'FOLLOW_UP',
    summary,
    sourceType: 'FollowUpTask',
    sourceId: task.id,
    actor,
  });
  await recordEvent(tx, outbox, events, {
    type: `cmp.interaction.${type}`,
    aggregateType: 'FollowUpTask',
    aggregateId: task.id,
    customerId: task.customerId,
    data: { taskId: task.id, customerId: task.customerId, ...data, actor },
  });
}

/** Creates a task for an agent or the shared queue, with its timeline entry and FollowUpTaskCreated event. */
export async function createFollowUpTask(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: CreateFollowUpTaskInput,
  now = new Date(),
): Promise<FollowUpTaskRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const title = requireLength('title', input.title, { min: 1, max: MAX_TITLE });
  const notes = input.notes == null || input.notes.trim() === '' ? null : requireLength('notes', input.notes, { max: MAX_TASK_NOTES });
  if (Number.isNaN(input.dueAt.getTime()) || input.dueAt.getTime() <= now.getTime()) throw new BadUserInputError('dueAt', 'must be in the future');
  if (!TASK_PRIORITIES.includes(input.priority)) throw new BadUserInputError('priority', `must be one of ${TASK_PRIORITIES.join(', ')}`);
  const assignee = requireAssignee('assignee', input.assignee);
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    const task = await insertFollowUpTask(tx, {
      customerId,
      title,
      notes,
      dueAt: input.dueAt,
      priority: input.priority,
      assignee,
      createdBy: caller.subject,
      createdAt: now,
      updatedAt: now,
    });
    await announceTask(tx, caller.subject, events, task, 'FollowUpTaskCreated', `Follow-up task ${quoted(title)} due ${day(task.dueAt)}, ${task.priority.toLowerCase()} priority, ${holder(assignee)}`, now, {
      title,
      dueAt: task.dueAt.toISOString(),
      priority: task.priority,
      assignee,
    });
    return task;
  });
}

async function lockTask(tx: Executor, id: string): Promise<FollowUpTaskRow> {
  const task = await findFollowUpTask(tx, id, { forUpdate: true });
  if (!task) throw new NotFoundError('FollowUpTask', id);
  return task;
}

/**
 * Assigns a task. A queued task goes to whoever asks first: the row is locked, so of many agents taking it at once
 * one succeeds and the rest find it taken (CONFLICT). A task someone holds is handed on, or returned to the queue
 * (`assignee` null), by its holder or a supervisor only. Assigning a task to whoever holds it changes nothing.
 */
export async function assignFollowUpTask(
  db: Database,
  caller: Caller,
  events: EventContext,
  rawId: string,
  rawAssignee: string | null | undefined,
  now = new Date(),
): Promise<FollowUpTaskRow> {
  const id = requireUuid('id', rawId);
  const assignee = requireAssignee('assignee', rawAssignee);
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, id);
    if (task.status === 'DONE') throw new ConflictError(`Follow-up task ${id} is completed and cannot be reassigned`, { status: task.status });
    if (task.assignee === assignee) return task;
    if (task.assignee !== null && task.assignee !== caller.subject && !isSupervisor(caller)) {
      throw new ConflictError(`Follow-up task ${id} is already assigned to ${task.assignee}; only they or a supervisor can hand it on`, {
        assignee: task.assignee,
      });
    }
    const updated = await updateFollowUpTask(tx, id, { assignee, updatedAt: now });
    const summary =
      task.assignee === null
        ? `Follow-up task ${quoted(task.title)} taken from the queue: ${holder(assignee)}`
        : assignee === null
          ? `Follow-up task ${quoted(task.title)} returned to the shared queue by ${caller.subject}`
          : `Follow-up task ${quoted(task.title)} reassigned from ${task.assignee} to ${assignee}`;
    await announceTask(tx, caller.subject, events, updated, 'FollowUpTaskAssigned', summary, now, { from: task.assignee, to: assignee });
    return updated;
  });
}

/** Completes an open task with what was done: its holder, a supervisor, or anyone when it waits in the queue. */
export async function completeFollowUpTask(
  db: Database,
  caller: Caller,
  events: EventContext,
  rawId: string,
  rawNote: string,
  now = new Date(),
): Promise<FollowUpTaskRow> {
  const id = requireUuid('id', rawId);
  const note = requireLength('note', rawNote, { min: 1, max: MAX_COMPLETION_NOTE });
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, id);
    if (task.status === 'DONE') {
      throw new ConflictError(`Follow-up task ${id} was already completed by ${task.completedBy}`, { completedAt: task.completedAt?.toISOString() });
    }
    if (task.assignee !== null && task.assignee !== caller.subject && !isSupervisor(caller)) {
      throw new ForbiddenError(`Follow-up task ${id} is assigned to ${task.assignee}; only they or a supervisor can complete it`);
    }
    const updated = await updateFollowUpTask(tx, id, { status: 'DONE', completedAt: now, completedBy: caller.subject, completionNote: note, updatedAt: now });
    const late = isOverdue(task, now) ? ' (after its due time)' : '';
    await announceTask(tx, caller.subject, events, updated, 'FollowUpTaskCompleted', `Follow-up task ${quoted(task.title)} completed${late}: ${note.length > 140 ? `${note.slice(0, 139)}…` : note}`, now, {
      note,
      overdue: late !== '',
    });
    return updated;
  });
}

export interface WorkListArguments {
  assignee?: string | null;
  queue?: boolean | null;
  status?: TaskStatus | null;
  overdueOnly?: boolean | null;
  first?: number | null;
  after?: string | null;
}

/** A work list query from the field's arguments; contradictory filters are the caller's mistake, named. */
export function workListQuery(args: WorkListArguments, now = new Date()): FollowUpTaskQuery {
  const assignee = requireAssignee('assignee', args.assignee);
  const queue = args.queue ?? null;
  if (assignee !== null && queue === true) throw new BadUserInputError('queue', 'cannot be true together with an assignee: queued tasks have none');
  const status = args.status ?? 'OPEN';
  if (args.overdueOnly && status !== 'OPEN') throw new BadUserInputError('overdueOnly', 'applies to OPEN tasks only');
  const cursor = args.after ? decodeCursor('after', args.after) : null;
  return {
    assignee,
    queue,
    status,
    dueBefore: args.overdueOnly ? now : null,
    limit: requirePageSize('first', args.first, 20, MAX_TASKS_PAGE),
    after: cursor ? { dueAt: cursor.at, id: cursor.id } : null,
  };
}

export function listFollowUpTasks(db: Database, query: FollowUpTaskQuery): Promise<FollowUpTaskRow[]> {
  return findFollowUpTasks(db, query);
}
