import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, slaMilestones } from '../src/db/schema.ts';
import { openCase } from '../src/domain/cases.ts';
import { checkMilestones } from '../src/domain/sla.ts';
import { caseSubgraph } from '../src/index.ts';

const OPEN = 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id createdAt slaMilestones { kind status dueAt warnAt metAt } } }';
const MILESTONES = 'query($id: ID!) { case(id: $id) { slaMilestones { kind status metAt } } }';
const COMMENT = 'mutation($input: AddCaseCommentInput!) { addCaseComment(input: $input) { id } }';
const POLICY = 'mutation($input: SlaPolicyInput!) { setSlaPolicy(input: $input) { priority firstResponseMinutes resolutionMinutes warnPercent calendar } }';

let h: SubgraphHarness;
const agent = callerWith('SupportAgent');
const events = { source: 'cmp.case' };

beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
});
afterAll(() => h?.close());

const open = async (priority = 'HIGH', customerId = randomUUID()) =>
  (await h.run(agent, OPEN, { input: { customerId, subject: 'Missed connection', description: 'Missed IB3170 because of a late inbound.', category: 'FLIGHT_DISRUPTION', priority } })).data.openCase;
const state = async (id: string) => Object.fromEntries((await h.run(agent, MILESTONES, { id })).data.case.slaMilestones.map((m: any) => [m.kind, m.status]));

describe('service levels', () => {
  it('gives a new case its first-response and resolution targets from its priority, warning at 80%', async () => {
    const opened = await open('HIGH');
    const created = new Date(opened.createdAt).getTime();
    const byKind = Object.fromEntries(opened.slaMilestones.map((m: any) => [m.kind, m]));
    expect(new Date(byKind.FIRST_RESPONSE.dueAt).getTime() - created).toBe(2 * 3_600_000);
    expect(new Date(byKind.FIRST_RESPONSE.warnAt).getTime() - created).toBe(96 * 60_000);
    expect(new Date(byKind.RESOLUTION.dueAt).getTime() - created).toBe(24 * 3_600_000);
    expect(byKind.RESOLUTION.status).toBe('PENDING');
  });

  it('counts a staff reply the customer sees as the first response, not an internal note or the customer\'s own comment', async () => {
    const customerId = randomUUID();
    const opened = await open('MEDIUM', customerId);
    await h.run(callerWith('Customer', { customerId }), COMMENT, { input: { caseId: opened.id, body: 'Any news?' } });
    await h.run(agent, COMMENT, { input: { caseId: opened.id, body: 'Check with ops', internal: true } });
    expect(await state(opened.id)).toEqual({ FIRST_RESPONSE: 'PENDING', RESOLUTION: 'PENDING' });
    await h.run(agent, COMMENT, { input: { caseId: opened.id, body: 'We are on it, answer within 48 h.' } });
    expect(await state(opened.id)).toEqual({ FIRST_RESPONSE: 'MET', RESOLUTION: 'PENDING' });
  });

  it('meets the resolution target when resolved in time and misses it when late', async () => {
    const inTime = await open('LOW');
    await h.run(agent, 'mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { id } }', { input: { caseId: inTime.id, status: 'IN_PROGRESS', note: 'Looking' } });
    await h.run(agent, 'mutation($input: ResolveCaseInput!) { resolveCase(input: $input) { id } }', {
      input: { caseId: inTime.id, resolution: 'Rebooked on the next flight with a meal voucher.', customerSatisfied: true },
    });
    expect(await state(inTime.id)).toEqual({ FIRST_RESPONSE: 'MET', RESOLUTION: 'MET' });

    const late = await open('CRITICAL');
    await h.handle.db.update(slaMilestones).set({ dueAt: new Date(Date.now() - 60_000), warnAt: new Date(Date.now() - 120_000) }).where(eq(slaMilestones.caseId, late.id));
    await h.run(agent, 'mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { id } }', { input: { caseId: late.id, status: 'IN_PROGRESS', note: 'Sorry for the wait' } });
    expect(await state(late.id)).toEqual({ FIRST_RESPONSE: 'MISSED', RESOLUTION: 'PENDING' });
  });

  it('warns before a breach and records the breach, each once, with two schedulers running at once', async () => {
    const c = await open('HIGH');
    const created = new Date(c.createdAt).getTime();
    const at = (minutes: number) => new Date(created + minutes * 60_000);
    const run = (when: Date) => Promise.all([checkMilestones(h.handle.db, events, when), checkMilestones(h.handle.db, events, when)]);
    await run(at(100)); // past the first response's warning (96 min), before its due (120 min)
    await run(at(110));
    await run(at(125)); // first response missed
    await run(at(130));
    const announced = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, c.id)))
      .filter((e) => e.type.startsWith('cmp.case.CaseSla'))
      .map((e) => [e.type, e.data.milestone]);
    expect(announced).toEqual([
      ['cmp.case.CaseSlaWarning', 'FIRST_RESPONSE'],
      ['cmp.case.CaseSlaBreached', 'FIRST_RESPONSE'],
    ]);
    const [first] = await h.handle.db.select().from(slaMilestones).where(and(eq(slaMilestones.caseId, c.id), eq(slaMilestones.kind, 'FIRST_RESPONSE')));
    expect(first!.status).toBe('MISSED');
  });

  it('counts business hours in the calendar of the policy, across a weekend', async () => {
    const set = await h.run(callerWith('Admin'), POLICY, { input: { priority: 'LOW', firstResponseMinutes: 120, resolutionMinutes: 540 * 3, calendar: 'Europe/Madrid 1-5 09:00-18:00' } });
    expect(set.data.setSlaPolicy).toMatchObject({ priority: 'LOW', calendar: 'Europe/Madrid 1-5 09:00-18:00', warnPercent: 80 });
    // Friday 13 March 2026, 17:00 in Madrid (UTC+1).
    const friday = new Date('2026-03-13T16:00:00Z');
    const row = await openCase(h.handle.db, agent, events, { customerId: randomUUID(), subject: 'Refund', description: 'Refund of seat fee', category: 'REFUND', priority: 'LOW' }, 'AGENT', friday);
    const milestones = await h.handle.db.select().from(slaMilestones).where(eq(slaMilestones.caseId, row.id));
    const due = Object.fromEntries(milestones.map((m) => [m.kind, m.dueAt.toISOString()]));
    // One business hour on Friday, one on Monday: 10:00 Madrid. Three business days: Wednesday 17:00 Madrid.
    expect(due).toEqual({ FIRST_RESPONSE: '2026-03-16T09:00:00.000Z', RESOLUTION: '2026-03-18T16:00:00.000Z' });
  });

  it.each([
    ['calendar', { calendar: 'Mars/Olympus 1-5 09:00-18:00' }],
    ['calendar', { calendar: 'weekdays' }],
    ['firstResponseMinutes', { firstResponseMinutes: 0 }],
    ['firstResponseMinutes', { firstResponseMinutes: 600, resolutionMinutes: 60 }],
    ['warnPercent', { warnPercent: 100 }],
  ])('refuses a bad %s and leaves the policy as it was', async (field, change) => {
    const result = await h.run(callerWith('Admin'), POLICY, { input: { priority: 'MEDIUM', firstResponseMinutes: 60, resolutionMinutes: 600, ...change } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await h.run(callerWith('SupportAgent'), POLICY, { input: { priority: 'MEDIUM', firstResponseMinutes: 60, resolutionMinutes: 600 } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
