import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseSubgraph } from '../src/index.ts';

const OPEN = 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id caseNumber queueCode assignee customerTier language priority } }';
const AGENT = 'mutation($input: DefineAgentInput!) { defineAgent(input: $input) { id capacity active } }';
const QUEUE = 'mutation($input: DefineQueueInput!) { defineQueue(input: $input) { code strategy agents { id } } }';
const RULES = 'mutation($rules: [RoutingRuleInput!]!) { setRoutingRules(rules: $rules) { position queueCode category language tier } }';

let h: SubgraphHarness;
const admin = callerWith('Admin');
const agent = callerWith('SupportAgent');

beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
  for (const [id, capacity] of [['rr-1', 10], ['rr-2', 10], ['rr-3', 10], ['ll-1', 2], ['ll-2', 1], ['vip-1', 50], ['gen-1', 500]] as const) {
    expect((await h.run(admin, AGENT, { input: { id, name: id, capacity } })).errors).toBeUndefined();
  }
  await h.run(admin, QUEUE, { input: { code: 'baggage-es', name: 'Equipajes', strategy: 'ROUND_ROBIN', agentIds: ['rr-1', 'rr-2', 'rr-3'] } });
  await h.run(admin, QUEUE, { input: { code: 'REFUNDS', name: 'Refunds', strategy: 'LEAST_LOADED', agentIds: ['ll-1', 'll-2'] } });
  await h.run(admin, QUEUE, { input: { code: 'VIP', name: 'Platino and above', strategy: 'ROUND_ROBIN', agentIds: ['vip-1'] } });
  await h.run(admin, QUEUE, { input: { code: 'GENERAL', name: 'Everything else', strategy: 'ROUND_ROBIN', agentIds: ['gen-1'] } });
  const rules = await h.run(admin, RULES, {
    rules: [
      { queueCode: 'VIP', tier: 'PLATINO' },
      { queueCode: 'BAGGAGE-ES', category: 'BAGGAGE', language: 'ES' },
      { queueCode: 'REFUNDS', category: 'REFUND' },
      { queueCode: 'GENERAL' },
    ],
  });
  expect(rules.errors).toBeUndefined();
  expect(rules.data.setRoutingRules.map((r: any) => r.queueCode)).toEqual(['VIP', 'BAGGAGE-ES', 'REFUNDS', 'GENERAL']);
});
afterAll(() => h?.close());

const open = (overrides: Record<string, unknown> = {}, customerId = randomUUID()) =>
  h.run(agent, OPEN, {
    input: { customerId, subject: 'Bag missing', description: 'Tag IB123456 did not arrive.', category: 'BAGGAGE', language: 'es', ...overrides },
  });

describe('routing new cases', () => {
  it('sends Spanish baggage cases to their queue, round-robin across its agents', async () => {
    const assignees: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const result = await open();
      expect(result.data.openCase.queueCode).toBe('BAGGAGE-ES');
      assignees.push(result.data.openCase.assignee);
    }
    const cycle = assignees.slice(0, 3);
    expect([...cycle].sort()).toEqual(['rr-1', 'rr-2', 'rr-3']);
    expect(assignees.slice(3)).toEqual(cycle);
  });

  it('tries the rules in order: a Platino member goes to VIP (tier from loyalty\'s events), an English one to GENERAL', async () => {
    const platino = randomUUID();
    await caseSubgraph.consumers![0]!.handle(h.handle.db, {
      specversion: '1.0',
      id: randomUUID(),
      type: 'cmp.loyalty.LoyaltyTierChanged',
      source: 'cmp.loyalty',
      subject: `LoyaltyAccount/${randomUUID()}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      customerid: platino,
      data: { fromTier: 'ORO', toTier: 'PLATINO' },
    } as never);
    expect((await open({}, platino)).data.openCase).toMatchObject({ queueCode: 'VIP', assignee: 'vip-1', customerTier: 'PLATINO' });
    expect((await open({ language: 'en-GB' })).data.openCase).toMatchObject({ queueCode: 'GENERAL', assignee: 'gen-1', language: 'en' });
  });

  it('gives the least-loaded agent the next case, never past capacity, and queues it when everyone is full', async () => {
    const assignees = [];
    for (let i = 0; i < 4; i += 1) assignees.push((await open({ category: 'REFUND' })).data.openCase.assignee);
    expect(assignees).toEqual(['ll-1', 'll-2', 'll-1', null]);
    const waiting = await h.run(agent, 'query { queueWorkList(queueCode: "REFUNDS") { assignee } }');
    expect(waiting.data.queueWorkList.filter((c: any) => c.assignee === null)).toHaveLength(1);
  });

  it('never pushes an agent past capacity with 30 cases opened at once', async () => {
    await h.run(admin, AGENT, { input: { id: 'burst-1', name: 'b1', capacity: 10 } });
    await h.run(admin, AGENT, { input: { id: 'burst-2', name: 'b2', capacity: 10 } });
    await h.run(admin, AGENT, { input: { id: 'burst-3', name: 'b3', capacity: 10 } });
    await h.run(admin, QUEUE, { input: { code: 'BURST', name: 'Burst', strategy: 'ROUND_ROBIN', agentIds: ['burst-1', 'burst-2', 'burst-3'] } });
    await h.run(admin, RULES, { rules: [{ queueCode: 'BURST', category: 'LOUNGE' }, { queueCode: 'GENERAL' }] });
    const results = await Promise.all(Array.from({ length: 33 }, () => open({ category: 'LOUNGE' })));
    const counts = new Map<string | null, number>();
    for (const r of results) counts.set(r.data.openCase.assignee, (counts.get(r.data.openCase.assignee) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 'burst-1': 10, 'burst-2': 10, 'burst-3': 10, null: 3 });
  });
});

describe('work lists and reassignment', () => {
  it('moves a case to another agent and shows each agent its open cases, most urgent first', async () => {
    await h.run(admin, RULES, { rules: [{ queueCode: 'GENERAL' }] });
    const low = (await open({ priority: 'LOW' })).data.openCase;
    const critical = (await open({ priority: 'CRITICAL' })).data.openCase;
    for (const c of [low, critical]) {
      const moved = await h.run(agent, 'mutation($input: AssignCaseInput!) { assignCase(input: $input) { assignee queueCode } }', { input: { caseId: c.id, agentId: 'vip-1' } });
      expect(moved.data.assignCase).toEqual({ assignee: 'vip-1', queueCode: 'GENERAL' });
    }
    const mine = await h.run(callerWith('SupportAgent', { subject: 'vip-1' }), 'query { myWorkList { id priority } }');
    const ids = mine.data.myWorkList.map((c: any) => c.id);
    expect(ids.indexOf(critical.id)).toBeLessThan(ids.indexOf(low.id));
    const bad = await h.run(agent, 'mutation($input: AssignCaseInput!) { assignCase(input: $input) { id } }', { input: { caseId: low.id, agentId: 'nobody' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'agentId' });
    const me = callerWith('Customer', { customerId: randomUUID() });
    expect((await h.run(me, 'query { myWorkList { id } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets only routing managers change agents, queues and rules, and names what is wrong', async () => {
    expect((await h.run(agent, AGENT, { input: { id: 'x', name: 'x', capacity: 1 } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(admin, AGENT, { input: { id: 'x', name: 'x', capacity: 0 } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'capacity' });
    expect((await h.run(admin, QUEUE, { input: { code: 'Q1', name: 'q', strategy: 'ROUND_ROBIN', agentIds: ['ghost'] } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'agentIds' });
    expect((await h.run(admin, RULES, { rules: [{ queueCode: 'NOPE' }] })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rules' });
    expect((await h.run(callerWith('CustomerManager'), RULES, { rules: [{ queueCode: 'GENERAL' }] })).errors).toBeUndefined();
  });
});
