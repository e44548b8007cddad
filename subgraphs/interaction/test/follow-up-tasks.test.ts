import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followUpTasks, outbox, timelineEntries } from '../src/db/schema.ts';
import { createFollowUpTask } from '../src/domain/follow-ups.ts';
import { interactionSubgraph } from '../src/index.ts';

const TASK_FIELDS = 'id title notes dueAt priority assignee status overdue createdBy completedAt completedBy completionNote customer { id }';
const CREATE = `mutation($input: CreateFollowUpTaskInput!) { createFollowUpTask(input: $input) { ${TASK_FIELDS} } }`;
const ASSIGN = `mutation($id: ID!, $assignee: String) { assignFollowUpTask(id: $id, assignee: $assignee) { ${TASK_FIELDS} } }`;
const COMPLETE = `mutation($id: ID!, $note: String!) { completeFollowUpTask(id: $id, note: $note) { ${TASK_FIELDS} } }`;
const LIST = `
  query($assignee: String, $queue: Boolean, $status: TaskStatus, $overdueOnly: Boolean, $first: Int, $after: String) {
    followUpTasks(assignee: $assignee, queue: $queue, status: $status, overdueOnly: $overdueOnly, first: $first, after: $after) {
      edges { cursor node { id title assignee overdue status } } pageInfo { hasNextPage endCursor }
    }
  }`;
const MINE = `
  query($status: TaskStatus, $overdueOnly: Boolean, $first: Int, $after: String) {
    myFollowUpTasks(status: $status, overdueOnly: $overdueOnly, first: $first, after: $after) {
      edges { node { id title assignee } } pageInfo { hasNextPage endCursor }
    }
  }`;

let h: SubgraphHarness;
const agent = (name: string) => callerWith('SupportAgent', { subject: name });
const supervisor = callerWith('CustomerManager', { subject: 'supervisor-marta' });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const taskInput = (overrides: Record<string, unknown> = {}) => ({
  customerId: randomUUID(),
  title: 'Call back about the compensation claim',
  notes: 'Customer prefers mornings.',
  dueAt: inDays(2).toISOString(),
  priority: 'HIGH',
  ...overrides,
});

async function create(caller = agent('agent-ana'), overrides: Record<string, unknown> = {}) {
  const result = await h.run(caller, CREATE, { input: taskInput(overrides) });
  expect(result.errors).toBeUndefined();
  return result.data.createFollowUpTask;
}

async function list(caller: ReturnType<typeof agent>, query: string, variables: Record<string, unknown>, field = 'followUpTasks') {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const result = await h.run(caller, query, { ...variables, after });
    expect(result.errors).toBeUndefined();
    const page: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = result.data[field];
    ids.push(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

const eventsOf = async (taskId: string) => (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === taskId).map((e) => e.type);
const entriesOf = async (taskId: string) =>
  (await h.handle.db.select().from(timelineEntries)).filter((e) => e.sourceId === taskId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

describe('createFollowUpTask', () => {
  it('creates a task for an agent, on the customer\'s timeline as FOLLOW_UP, and announces it', async () => {
    const customerId = randomUUID();
    const dueAt = inDays(3);
    const task = await create(agent('agent-ana'), { customerId, assignee: 'agent-pablo', dueAt: dueAt.toISOString(), priority: 'MEDIUM' });
    expect(task).toMatchObject({
      title: 'Call back about the compensation claim',
      notes: 'Customer prefers mornings.',
      dueAt,
      priority: 'MEDIUM',
      assignee: 'agent-pablo',
      status: 'OPEN',
      overdue: false,
      createdBy: 'agent-ana',
      completedAt: null,
      customer: { id: customerId },
    });
    const [entry] = await entriesOf(task.id);
    expect(entry).toMatchObject({
      customerId,
      type: 'FOLLOW_UP',
      sourceType: 'FollowUpTask',
      actor: 'agent-ana',
      summary: `Follow-up task “Call back about the compensation claim” due ${dueAt.toISOString().slice(0, 10)}, medium priority, assigned to agent-pablo`,
    });
    expect(await eventsOf(task.id)).toEqual(['cmp.interaction.FollowUpTaskCreated']);
  });

  it('puts a task without an assignee in the shared queue', async () => {
    const task = await create(agent('agent-ana'), { assignee: null });
    expect(task.assignee).toBeNull();
    expect((await entriesOf(task.id))[0]?.summary).toMatch(/in the shared queue$/);
  });

  it.each([
    ['title', { title: '   ' }, /required/],
    ['title', { title: 't'.repeat(201) }, /at most 200/],
    ['notes', { notes: 'n'.repeat(5001) }, /at most 5000/],
    ['dueAt', { dueAt: new Date(Date.now() - 60_000).toISOString() }, /future/],
    ['customerId', { customerId: 'CUS-000001' }, /UUID/],
    ['assignee', { assignee: '  ' }, /required/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, creating nothing', async (field, overrides, message) => {
    const before = (await h.handle.db.select().from(followUpTasks)).length;
    const result = await h.run(agent('agent-ana'), CREATE, { input: taskInput(overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(followUpTasks)).length).toBe(before);
  });

  it('accepts a title of exactly 200 characters', async () => {
    expect((await create(agent('agent-ana'), { title: 'x'.repeat(200) })).title).toHaveLength(200);
  });

  it('is refused to roles that do not log interactions', async () => {
    for (const role of ['Viewer', 'MarketingManager', 'DataAnalyst'] as const) {
      const caller = callerWith(role);
      expect((await h.run(caller, CREATE, { input: taskInput() })).errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
      expect((await h.run(caller, LIST, {})).errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    const customer = callerWith('Customer', { customerId: randomUUID() });
    expect((await h.run(customer, ASSIGN, { id: randomUUID(), assignee: 'me' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('assignFollowUpTask', () => {
  it('gives a queued task to exactly one of 100 agents taking it at once; the others get CONFLICT', async () => {
    const task = await create(agent('agent-ana'), { assignee: null });
    const agents = Array.from({ length: 100 }, (_, i) => `agent-${i}-${task.id.slice(0, 4)}`);
    const results = await Promise.all(agents.map((name) => h.run(agent(name), ASSIGN, { id: task.id, assignee: name })));
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(99);
    const winner = winners[0]!.data.assignFollowUpTask.assignee;
    expect(agents).toContain(winner);
    const [stored] = (await h.handle.db.select().from(followUpTasks)).filter((t) => t.id === task.id);
    expect(stored?.assignee).toBe(winner);
    expect(await eventsOf(task.id)).toEqual(['cmp.interaction.FollowUpTaskCreated', 'cmp.interaction.FollowUpTaskAssigned']);
    expect((await entriesOf(task.id)).map((e) => e.summary)[1]).toBe(`Follow-up task “Call back about the compensation claim” taken from the queue: assigned to ${winner}`);
  });

  it('lets the holder hand a task on or return it to the queue, refuses other agents and lets a supervisor reassign', async () => {
    const task = await create(agent('agent-ana'), { assignee: 'agent-ana' });
    const byOther = await h.run(agent('agent-luis'), ASSIGN, { id: task.id, assignee: 'agent-luis' });
    expect(byOther.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', assignee: 'agent-ana' });

    const handedOn = await h.run(agent('agent-ana'), ASSIGN, { id: task.id, assignee: 'agent-luis' });
    expect(handedOn.data.assignFollowUpTask.assignee).toBe('agent-luis');
    const bySupervisor = await h.run(supervisor, ASSIGN, { id: task.id, assignee: 'agent-eva' });
    expect(bySupervisor.data.assignFollowUpTask.assignee).toBe('agent-eva');
    const returned = await h.run(agent('agent-eva'), ASSIGN, { id: task.id, assignee: null });
    expect(returned.data.assignFollowUpTask.assignee).toBeNull();
    // Assigning it to whoever holds it already changes nothing and announces nothing.
    expect((await h.run(agent('agent-eva'), ASSIGN, { id: task.id, assignee: null })).data.assignFollowUpTask.assignee).toBeNull();

    const summaries = (await entriesOf(task.id)).map((e) => e.summary.replace('Follow-up task “Call back about the compensation claim” ', ''));
    expect(summaries).toEqual([
      `due ${task.dueAt.toISOString().slice(0, 10)}, high priority, assigned to agent-ana`,
      'reassigned from agent-ana to agent-luis',
      'reassigned from agent-luis to agent-eva',
      'returned to the shared queue by agent-eva',
    ]);
    expect((await entriesOf(task.id)).map((e) => e.actor)).toEqual(['agent-ana', 'agent-ana', 'supervisor-marta', 'agent-eva']);
    expect(await eventsOf(task.id)).toEqual([
      'cmp.interaction.FollowUpTaskCreated',
      'cmp.interaction.FollowUpTaskAssigned',
      'cmp.interaction.FollowUpTaskAssigned',
      'cmp.interaction.FollowUpTaskAssigned',
    ]);
  });

  it('answers NOT_FOUND for an unknown task and BAD_USER_INPUT for a malformed id', async () => {
    expect((await h.run(agent('agent-ana'), ASSIGN, { id: randomUUID(), assignee: 'agent-ana' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await h.run(agent('agent-ana'), ASSIGN, { id: 'task-1', assignee: 'agent-ana' })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'id',
    });
  });
});

describe('completeFollowUpTask', () => {
  it('completes a task with a note, once; a completed task cannot be completed again or reassigned', async () => {
    const task = await create(agent('agent-ana'), { assignee: 'agent-ana' });
    const done = await h.run(agent('agent-ana'), COMPLETE, { id: task.id, note: 'Called back; claim approved and paid.' });
    expect(done.errors).toBeUndefined();
    expect(done.data.completeFollowUpTask).toMatchObject({
      status: 'DONE',
      overdue: false,
      completedBy: 'agent-ana',
      completionNote: 'Called back; claim approved and paid.',
      completedAt: expect.any(Date),
    });
    expect((await h.run(agent('agent-ana'), COMPLETE, { id: task.id, note: 'again' })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await h.run(supervisor, ASSIGN, { id: task.id, assignee: 'agent-luis' })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await eventsOf(task.id)).toEqual(['cmp.interaction.FollowUpTaskCreated', 'cmp.interaction.FollowUpTaskCompleted']);
    expect((await entriesOf(task.id)).at(-1)).toMatchObject({
      type: 'FOLLOW_UP',
      actor: 'agent-ana',
      summary: 'Follow-up task “Call back about the compensation claim” completed: Called back; claim approved and paid.',
    });
  });

  it('completes exactly once when 100 completions of one task arrive at once', async () => {
    const task = await create(agent('agent-ana'), { assignee: null });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => h.run(agent(`agent-c${i}`), COMPLETE, { id: task.id, note: `done by ${i}` })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(99);
    expect((await eventsOf(task.id)).filter((t) => t.endsWith('Completed'))).toHaveLength(1);
  });

  it('refuses an empty note naming it, and an agent completing another agent\'s task', async () => {
    const task = await create(agent('agent-ana'), { assignee: 'agent-ana' });
    expect((await h.run(agent('agent-ana'), COMPLETE, { id: task.id, note: ' ' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
    expect((await h.run(agent('agent-luis'), COMPLETE, { id: task.id, note: 'not mine' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(supervisor, COMPLETE, { id: task.id, note: 'closed by the supervisor' })).data.completeFollowUpTask.completedBy).toBe('supervisor-marta');
  });
});

describe('work lists', () => {
  it('lists an agent\'s tasks, the queue, done and overdue ones, soonest due first, in pages', async () => {
    const ana = uniqueName('agent-ana');
    const customerId = randomUUID();
    const now = Date.now();
    // Tasks due in the past can only come from before their due time: created "then" through the domain.
    const past = async (daysAgo: number, assignee: string | null, title: string) =>
      createFollowUpTask(h.handle.db, agent(ana), { source: 'cmp.interaction', traceparent: null }, {
        customerId,
        title,
        dueAt: new Date(now - daysAgo * 86_400_000),
        priority: 'LOW',
        assignee,
      }, new Date(now - (daysAgo + 1) * 86_400_000));
    const overdue2 = await past(2, ana, 'two days late');
    const overdue1 = await past(1, ana, 'one day late');
    const soon = await create(agent(ana), { assignee: ana, dueAt: inDays(1).toISOString(), title: 'tomorrow' });
    const later = await create(agent(ana), { assignee: ana, dueAt: inDays(5).toISOString(), title: 'in five days' });
    const done = await create(agent(ana), { assignee: ana, dueAt: inDays(3).toISOString(), title: 'done already' });
    await h.run(agent(ana), COMPLETE, { id: done.id, note: 'Sorted.' });
    const mine = [overdue2.id, overdue1.id, soon.id, later.id];

    for (const first of [1, 3, 20]) {
      expect(await list(agent('agent-x'), LIST, { assignee: ana, first })).toEqual(mine);
      expect(await list(agent(ana), MINE, { first }, 'myFollowUpTasks')).toEqual(mine);
    }
    expect(await list(agent('agent-x'), LIST, { assignee: ana, overdueOnly: true })).toEqual([overdue2.id, overdue1.id]);
    expect(await list(agent(ana), MINE, { overdueOnly: true }, 'myFollowUpTasks')).toEqual([overdue2.id, overdue1.id]);
    expect(await list(agent('agent-x'), LIST, { assignee: ana, status: 'DONE' })).toEqual([done.id]);
    const flags = (await h.run(agent(ana), LIST, { assignee: ana })).data.followUpTasks.edges.map((e: any) => [e.node.title, e.node.overdue]);
    expect(flags).toEqual([['two days late', true], ['one day late', true], ['tomorrow', false], ['in five days', false]]);

    const queued = await past(3, null, 'queued and late');
    const queue = await list(agent('agent-x'), LIST, { queue: true });
    expect(queue).toContain(queued.id);
    expect(queue).not.toContain(soon.id);
    const assigned = await list(agent('agent-x'), LIST, { queue: false, overdueOnly: true, first: 100 });
    expect(assigned).toEqual(expect.arrayContaining([overdue2.id, overdue1.id]));
    expect(assigned).not.toContain(queued.id);
  });

  it('refuses contradictory filters, a page size outside 1-100 and a forged cursor, naming the argument', async () => {
    const error = async (variables: Record<string, unknown>) => (await h.run(agent('agent-ana'), LIST, variables)).errors?.[0]?.extensions;
    expect(await error({ assignee: 'agent-ana', queue: true })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'queue' });
    expect(await error({ status: 'DONE', overdueOnly: true })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'overdueOnly' });
    expect(await error({ first: 101 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(await error({ after: 'garbage' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});
