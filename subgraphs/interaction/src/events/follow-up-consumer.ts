import type { EventConsumer } from '@cmp/platform';
import { followUpTasks } from '../db/schema.ts';
import { announceTask } from '../domain/follow-ups.ts';

/** How long customer affairs has to call back an unsatisfied customer. */
export const FOLLOW_UP_DAYS = 2;

/**
 * A case resolved without the customer satisfied gets a follow-up task for the agent who resolved it, due in two
 * days, on the customer's timeline and announced like any other task. Idempotent: the task carries the event's id,
 * so a redelivered event creates (and announces) nothing more.
 */
export const followUpConsumer: EventConsumer = {
  name: 'interaction.follow-ups',
  types: ['cmp.case.CustomerComplaintResolved'],
  async handle(db, event) {
    const data = event.data as { caseId: string; caseNumber: string; followUpRequired?: boolean; resolvedBy?: string };
    if (!data.followUpRequired || !event.customerid) return;
    const customerId = event.customerid;
    await db.transaction(async (tx) => {
      const [task] = await tx
        .insert(followUpTasks)
        .values({
          customerId,
          title: `Call the customer back about case ${data.caseNumber}: resolved, but not to their satisfaction`,
          dueAt: new Date(new Date(event.time).getTime() + FOLLOW_UP_DAYS * 24 * 3_600_000),
          priority: 'HIGH',
          assignee: data.resolvedBy ?? null,
          sourceType: 'Case',
          sourceId: data.caseId,
          sourceEventId: event.id,
        })
        .onConflictDoNothing({ target: followUpTasks.sourceEventId })
        .returning();
      if (!task) return;
      await announceTask(
        tx,
        'system',
        { source: 'cmp.interaction', traceparent: event.traceparent ?? null },
        task,
        'FollowUpTaskCreated',
        `Follow-up task opened: call the customer back about case ${data.caseNumber}`,
        new Date(event.time),
        { title: task.title, dueAt: task.dueAt.toISOString(), priority: task.priority, assignee: task.assignee, caseId: data.caseId },
      );
    });
  },
};
