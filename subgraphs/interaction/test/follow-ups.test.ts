import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../src/db/schema.ts';
import { followUpConsumer } from '../src/events/follow-up-consumer.ts';
import { interactionSubgraph } from '../src/index.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

const resolved = (customerId: string, followUpRequired: boolean, time = new Date().toISOString()) =>
  ({
    specversion: '1.0',
    id: randomUUID(),
    type: 'cmp.case.CustomerComplaintResolved',
    source: 'cmp.case',
    subject: `Case/${randomUUID()}`,
    time,
    datacontenttype: 'application/json',
    customerid: customerId,
    data: { caseId: randomUUID(), caseNumber: 'COMP-20260310-0007', customerSatisfied: !followUpRequired, followUpRequired, resolvedBy: 'agent-ana' },
  }) as never;

describe('follow-up tasks from resolved cases', () => {
  it('creates one task per unsatisfied resolution, however often the event arrives, and none for a satisfied one', async () => {
    const customerId = randomUUID();
    const event = resolved(customerId, true, '2026-01-01T10:00:00Z');
    await followUpConsumer.handle(h.handle.db, event);
    await followUpConsumer.handle(h.handle.db, event);
    await followUpConsumer.handle(h.handle.db, resolved(customerId, false));
    const read = await h.run(callerWith('SupportAgent'), customerEntities('followUpTasks(includeDone: true) { title dueAt priority assignee overdue }'), {
      representations: [{ __typename: 'Customer', id: customerId }],
    });
    expect(read.errors).toBeUndefined();
    expect(read.data._entities[0].followUpTasks).toEqual([
      {
        title: 'Call the customer back about case COMP-20260310-0007: resolved, but not to their satisfaction',
        dueAt: new Date('2026-01-03T10:00:00.000Z'),
        priority: 'HIGH',
        assignee: 'agent-ana',
        overdue: true,
      },
    ]);
    // The task is on the timeline and announced once, however often the event came.
    const timeline = await h.run(callerWith('SupportAgent'), customerEntities('timeline(types: [FOLLOW_UP]) { edges { node { summary actor } } }'), {
      representations: [{ __typename: 'Customer', id: customerId }],
    });
    expect(timeline.data._entities[0].timeline.edges.map((e: any) => e.node)).toEqual([
      { summary: 'Follow-up task opened: call the customer back about case COMP-20260310-0007', actor: 'system' },
    ]);
    const announced = await h.handle.db.select().from(outbox).where(eq(outbox.type, 'cmp.interaction.FollowUpTaskCreated'));
    expect(announced.filter((e) => e.customerId === customerId)).toHaveLength(1);
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), customerEntities('followUpTasks { title }'), {
      representations: [{ __typename: 'Customer', id: customerId }],
    });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
