import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, outbox } from '../src/db/schema.ts';
import { escalateOverdue } from '../src/domain/lifecycle.ts';
import { caseSubgraph } from '../src/index.ts';

const OPEN = 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id caseNumber status } }';
const CHANGE = 'mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { id status history { fromStatus toStatus note actor } } }';
const RESOLVE = /* GraphQL */ `
  mutation($input: ResolveCaseInput!) {
    resolveCase(input: $input) { id status resolution customerSatisfied compensationOffered { amountMinor currency } resolvedAt resolutionMinutes }
  }
`;
const COMMENT = 'mutation($input: AddCaseCommentInput!) { addCaseComment(input: $input) { id author body internal } }';

/** DOMAIN.md's transitions, written out here rather than imported, so the spec checks the code. */
const ALLOWED: Record<string, string[]> = {
  NEW: ['IN_PROGRESS', 'ESCALATED'],
  IN_PROGRESS: ['RESOLVED', 'ESCALATED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  ESCALATED: ['IN_PROGRESS', 'RESOLVED'],
  CLOSED: [],
};
const STATUSES = Object.keys(ALLOWED);
const RESOLUTION = 'Bag traced and delivered to the hotel the next morning.';

let h: SubgraphHarness;
const agent = callerWith('CustomerAffairsExecutive');

beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
});
afterAll(() => h?.close());

async function openIn(status: string, customerId = randomUUID(), priority = 'MEDIUM') {
  const opened = await h.run(agent, OPEN, {
    input: { customerId, subject: 'Bag not delivered', description: 'Tag IB123456 missing at MAD.', category: 'BAGGAGE', priority },
  });
  const id = opened.data.openCase.id as string;
  if (status !== 'NEW') await h.handle.db.update(cases).set({ status: status as never }).where(eq(cases.id, id));
  return id;
}

const move = (caseId: string, to: string) =>
  to === 'RESOLVED'
    ? h.run(agent, RESOLVE, { input: { caseId, resolution: RESOLUTION, customerSatisfied: true } })
    : h.run(agent, CHANGE, { input: { caseId, status: to, note: `Moving to ${to}` } });

describe('the case state machine', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));

  it.each(pairs)('%s → %s is allowed exactly when DOMAIN.md says so', async (from, to) => {
    const id = await openIn(from);
    const result = await move(id, to);
    if (ALLOWED[from]!.includes(to)) {
      expect(result.errors).toBeUndefined();
      expect(Object.values(result.data)[0]).toMatchObject({ id, status: to });
    } else {
      const expected = to === 'RESOLVED' && (from === 'RESOLVED' || from === 'CLOSED') ? 'COMP-002' : 'COMP-003';
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: expected });
      const [row] = await h.handle.db.select().from(cases).where(eq(cases.id, id));
      expect(row!.status).toBe(from);
    }
  });

  it('names the allowed moves on a refused one, and requires a note', async () => {
    const id = await openIn('NEW');
    const refused = await h.run(agent, CHANGE, { input: { caseId: id, status: 'CLOSED', note: 'Done' } });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'COMP-003', from: 'NEW', to: 'CLOSED', allowed: ['IN_PROGRESS', 'ESCALATED'] } });
    const silent = await h.run(agent, CHANGE, { input: { caseId: id, status: 'IN_PROGRESS', note: '  ' } });
    expect(silent.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
    const viaChange = await h.run(agent, CHANGE, { input: { caseId: (await openIn('IN_PROGRESS')), status: 'RESOLVED', note: 'Fixed' } });
    expect(viaChange.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status' });
    expect((await h.run(agent, CHANGE, { input: { caseId: randomUUID(), status: 'IN_PROGRESS', note: 'x' } })).errors?.[0]?.extensions?.code).toBe('COMP-001');
  });

  it('keeps the history with notes and actors, and emits CaseStatusChanged for every change', async () => {
    const id = await openIn('NEW');
    await move(id, 'IN_PROGRESS');
    await move(id, 'ESCALATED');
    const last = await move(id, 'IN_PROGRESS');
    expect(last.data.changeCaseStatus.history.map((e: any) => [e.fromStatus, e.toStatus])).toEqual([
      [null, 'NEW'],
      ['NEW', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'ESCALATED'],
      ['ESCALATED', 'IN_PROGRESS'],
    ]);
    expect(last.data.changeCaseStatus.history[2]).toMatchObject({ note: 'Moving to ESCALATED', actor: agent.subject });
    const types = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, id))).map((e) => e.type);
    expect(types).toEqual([
      'cmp.case.CustomerComplaintReceived',
      'cmp.case.CaseStatusChanged',
      'cmp.case.CaseStatusChanged',
      'cmp.case.CaseEscalated',
      'cmp.case.CaseStatusChanged',
    ]);
  });

  it('lets exactly one of 20 simultaneous identical changes win', async () => {
    const id = await openIn('NEW');
    const results = await Promise.all(Array.from({ length: 20 }, () => move(id, 'IN_PROGRESS')));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'COMP-003')).toHaveLength(19);
    const changes = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, id))).filter((e) => e.type === 'cmp.case.CaseStatusChanged');
    expect(changes).toHaveLength(1);
  });
});

describe('resolveCase', () => {
  it('records the resolution, satisfaction, compensation offered and resolution time, and asks for a follow-up when unsatisfied', async () => {
    const id = await openIn('IN_PROGRESS');
    await h.handle.db.update(cases).set({ createdAt: new Date(Date.now() - 90 * 60_000) }).where(eq(cases.id, id));
    const result = await h.run(agent, RESOLVE, {
      input: { caseId: id, resolution: RESOLUTION, customerSatisfied: false, compensationOffered: { amountMinor: 5_000, currency: 'EUR' } },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data.resolveCase).toMatchObject({
      status: 'RESOLVED',
      resolution: RESOLUTION,
      customerSatisfied: false,
      compensationOffered: { amountMinor: 5_000, currency: 'EUR' },
    });
    expect(result.data.resolveCase.resolutionMinutes).toBeGreaterThanOrEqual(89);
    const [resolved] = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, id))).filter((e) => e.type === 'cmp.case.CustomerComplaintResolved');
    expect(resolved!.data).toMatchObject({ caseId: id, customerSatisfied: false, followUpRequired: true, compensationOffered: { amountMinor: 5_000, currency: 'EUR' } });
    const again = await h.run(agent, RESOLVE, { input: { caseId: id, resolution: RESOLUTION, customerSatisfied: true } });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'COMP-002', status: 'RESOLVED' });
  });

  it.each([
    ['resolution', { resolution: 'Fixed it.' }, /at least 20/],
    ['compensationOffered.amountMinor', { compensationOffered: { amountMinor: -1, currency: 'EUR' } }, /minor units/],
    ['compensationOffered.currency', { compensationOffered: { amountMinor: 100, currency: 'euro' } }, /ISO 4217/],
  ])('refuses a bad %s, naming it', async (field, change, message) => {
    const id = await openIn('IN_PROGRESS');
    const result = await h.run(agent, RESOLVE, { input: { caseId: id, resolution: RESOLUTION, customerSatisfied: true, ...change } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
  });
});

describe('self-service', () => {
  it('lets a customer follow and comment on its own case, and nothing more', async () => {
    const customerId = randomUUID();
    const id = await openIn('IN_PROGRESS', customerId);
    const me = callerWith('Customer', { customerId });
    expect((await h.run(me, CHANGE, { input: { caseId: id, status: 'ESCALATED', note: 'Please hurry' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(me, RESOLVE, { input: { caseId: id, resolution: RESOLUTION, customerSatisfied: true } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(me, COMMENT, { input: { caseId: id, body: 'Any news on my bag?' } })).data.addCaseComment).toMatchObject({ body: 'Any news on my bag?', internal: false });
    expect((await h.run(me, COMMENT, { input: { caseId: id, body: 'psst', internal: true } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await h.run(agent, COMMENT, { input: { caseId: id, body: 'Handling agent says Tuesday.', internal: true } });
    await h.run(agent, COMMENT, { input: { caseId: id, body: 'Your bag arrives on Tuesday.' } });
    const read = 'query($id: ID!) { case(id: $id) { comments { body internal } } }';
    expect((await h.run(me, read, { id })).data.case.comments.map((c: any) => c.body)).toEqual(['Any news on my bag?', 'Your bag arrives on Tuesday.']);
    expect((await h.run(agent, read, { id })).data.case.comments).toHaveLength(3);
    const stranger = callerWith('Customer', { customerId: randomUUID() });
    expect((await h.run(stranger, COMMENT, { input: { caseId: id, body: 'hello' } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('auto-escalation', () => {
  it('escalates each overdue case exactly once with two schedulers running at once, and leaves the rest', async () => {
    const now = Date.now();
    const back = async (id: string, hours: number) => h.handle.db.update(cases).set({ createdAt: new Date(now - hours * 3_600_000) }).where(eq(cases.id, id));
    const overdue: string[] = [];
    for (const [priority, hours] of [['CRITICAL', 5], ['HIGH', 25], ['MEDIUM', 49], ['LOW', 24 * 7 + 1]] as const) {
      for (let i = 0; i < 5; i += 1) {
        const id = await openIn(i % 2 ? 'IN_PROGRESS' : 'NEW', randomUUID(), priority);
        await back(id, hours);
        overdue.push(id);
      }
    }
    const notYet = await openIn('NEW', randomUUID(), 'HIGH');
    await back(notYet, 23);
    const resolved = await openIn('RESOLVED', randomUUID(), 'CRITICAL');
    await back(resolved, 10);

    const events = { source: 'cmp.case' };
    const [a, b] = await Promise.all([escalateOverdue(h.handle.db, events, undefined, new Date(), 3), escalateOverdue(h.handle.db, events, undefined, new Date(), 3)]);
    const escalated = [...a, ...b].map((c) => c.id).filter((id) => overdue.includes(id));
    expect(escalated.sort()).toEqual([...overdue].sort());
    const rows = await h.handle.db.select().from(cases).where(inArray(cases.id, [...overdue, notYet, resolved]));
    expect(rows.filter((r) => overdue.includes(r.id)).every((r) => r.status === 'ESCALATED' && r.autoEscalatedAt)).toBe(true);
    expect(rows.find((r) => r.id === notYet)!.status).toBe('NEW');
    expect(rows.find((r) => r.id === resolved)!.status).toBe('RESOLVED');
    const announced = (await h.handle.db.select().from(outbox).where(inArray(outbox.aggregateId, overdue))).filter((e) => e.type === 'cmp.case.CaseEscalated');
    expect(announced).toHaveLength(overdue.length);
    expect(announced[0]!.data).toMatchObject({ trigger: 'AUTO' });

    // Back in progress after the escalation: not escalated automatically a second time.
    await move(overdue[0]!, 'IN_PROGRESS');
    expect((await escalateOverdue(h.handle.db, events)).map((c) => c.id)).not.toContain(overdue[0]);
  });
});
