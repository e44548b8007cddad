import { callerWith, customerEntities, recordQueries, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interactions, outbox, timelineEntries } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';

const LOG = /* GraphQL */ `
  mutation($input: LogInteractionInput!) {
    logInteraction(input: $input) { id channel direction summary durationSeconds notes transcript recordedBy occurredAt }
  }
`;
const READ = /* GraphQL */ `
  query($id: ID!) { interaction(id: $id) { id channel summary durationSeconds notes transcript } }
`;
const history = (args = '') =>
  customerEntities(`interactions${args} { edges { cursor node { id channel summary occurredAt } } pageInfo { hasNextPage endCursor } }`);
const entitiesOf = (...ids: string[]) => ({ representations: ids.map((id) => ({ __typename: 'Customer', id })) });

let h: SubgraphHarness;
const agent = callerWith('SupportAgent', { subject: 'agent-lucia' });

const callInput = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  channel: 'CALL',
  direction: 'INBOUND',
  summary: 'Asked to rebook IB3166 after the cancellation.',
  durationSeconds: 420,
  notes: 'Offered the 18:05 departure; customer will confirm by e-mail.',
  ...overrides,
});
const chatInput = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  channel: 'CHAT',
  direction: 'INBOUND',
  summary: 'Seat change request',
  transcript: 'Customer: Can I move to an aisle seat on IB6251?\nAgent: Done, you are in 23C.',
  ...overrides,
});

async function log(input: Record<string, unknown>) {
  const result = await h.run(agent, LOG, { input });
  expect(result.errors).toBeUndefined();
  return result.data.logInteraction;
}

/** Every interaction of the customer through the history field, following endCursor. */
async function walk(customerId: string, args: string, pageSize: number) {
  const seen: any[] = [];
  let after: string | null = null;
  for (;;) {
    const cursor: string = after ? `, after: "${after}"` : '';
    const result = await h.run(agent, history(`(first: ${pageSize}${args}${cursor})`), entitiesOf(customerId));
    expect(result.errors).toBeUndefined();
    const page = result.data._entities[0].interactions;
    seen.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) return seen;
    after = page.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

describe('calls and chats', () => {
  it('records a call with its duration and notes, shows its length on the timeline and announces it', async () => {
    const customerId = randomUUID();
    const call = await log(callInput(customerId));
    expect(call).toMatchObject({
      channel: 'CALL',
      durationSeconds: 420,
      notes: 'Offered the 18:05 departure; customer will confirm by e-mail.',
      transcript: null,
      recordedBy: 'agent-lucia',
    });
    expect((await h.run(agent, READ, { id: call.id })).data.interaction).toMatchObject({ durationSeconds: 420, notes: call.notes });
    const [entry] = (await h.handle.db.select().from(timelineEntries)).filter((e) => e.sourceId === call.id);
    expect(entry).toMatchObject({ type: 'COMMUNICATION', summary: 'Inbound call (7 min): Asked to rebook IB3166 after the cancellation.', actor: 'agent-lucia' });
    const [event] = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === call.id);
    expect(event).toMatchObject({ type: 'cmp.interaction.InteractionLogged', data: { channel: 'CALL', durationSeconds: 420, recordedBy: 'agent-lucia' } });
  });

  it('analyses every logged text: sentiment and key phrases of the summary, notes and transcript, in its language', async () => {
    const customerId = randomUUID();
    const angry = await log(callInput(customerId, {
      summary: 'El cliente está muy enfadado: perdieron su maleta y el servicio fue pésimo.',
      notes: 'Pide una compensación; la atención en el aeropuerto fue horrible.',
    }));
    const happy = await log(chatInput(customerId, { summary: 'Thanks for the excellent upgrade, wonderful service', transcript: 'Customer: great, thank you so much!' }));
    const read = async (id: string) =>
      (await h.run(callerWith('Admin'), `query($id: ID!) { interaction(id: $id) { analysis { label score language keyPhrases } } }`, { id })).data.interaction.analysis;
    const negative = await read(angry.id);
    expect(negative).toMatchObject({ label: 'NEGATIVE', language: 'es' });
    expect(negative.score).toBeGreaterThan(0.5);
    expect(negative.keyPhrases.length).toBeGreaterThan(0);
    expect(await read(happy.id)).toMatchObject({ label: 'POSITIVE', language: 'en' });
  });

  it('records a chat with its transcript as plain text', async () => {
    const customerId = randomUUID();
    const chat = await log(chatInput(customerId));
    expect(chat).toMatchObject({ channel: 'CHAT', durationSeconds: null, notes: null, transcript: 'Customer: Can I move to an aisle seat on IB6251?\nAgent: Done, you are in 23C.' });
    expect((await h.run(agent, READ, { id: chat.id })).data.interaction.transcript).toBe(chat.transcript);
  });

  it('accepts a call of exactly 1 second and of exactly 24 hours', async () => {
    const customerId = randomUUID();
    expect((await log(callInput(customerId, { durationSeconds: 1 }))).durationSeconds).toBe(1);
    expect((await log(callInput(customerId, { durationSeconds: 86_400 }))).durationSeconds).toBe(86_400);
  });

  it.each([
    ['durationSeconds', callInput('', { durationSeconds: null }), /required for a call/],
    ['durationSeconds', callInput('', { durationSeconds: 0 }), /from 1 to 86400/],
    ['durationSeconds', callInput('', { durationSeconds: 86_401 }), /from 1 to 86400/],
    ['durationSeconds', callInput('', { durationSeconds: -5 }), /from 1 to 86400/],
    ['durationSeconds', chatInput('', { durationSeconds: 60 }), /only for calls/],
    ['notes', callInput('', { notes: 'n'.repeat(5001) }), /at most 5000/],
    ['notes', { ...chatInput(''), notes: 'internal remark' }, /only for calls/],
    ['transcript', chatInput('', { transcript: 't'.repeat(20_001) }), /at most 20000/],
    ['transcript', callInput('', { transcript: 'Agent: hello' }), /only for chats/],
    ['summary', callInput('', { summary: 'Too short' }), /at least 10/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, input, message) => {
    const customerId = randomUUID();
    const result = await h.run(agent, LOG, { input: { ...input, customerId } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(interactions)).filter((i) => i.customerId === customerId)).toEqual([]);
  });

  it('keeps a 20,000-character transcript whole', async () => {
    const transcript = 'Customer: '.padEnd(20_000, 'x');
    const chat = await log(chatInput(randomUUID(), { transcript }));
    expect(chat.transcript).toHaveLength(20_000);
  });
});

describe('Customer.interactions (history)', () => {
  it('lists the history newest first, filtered by channel and by an inclusive date range', async () => {
    const customerId = randomUUID();
    const at = (day: number) => new Date(Date.UTC(2026, 9, day, 10)).toISOString();
    await log(callInput(customerId, { occurredAt: at(1), summary: 'October 1st call about a refund' }));
    await log(chatInput(customerId, { occurredAt: at(5), summary: 'October 5th chat' }));
    await log({ customerId, channel: 'EMAIL', direction: 'OUTBOUND', subject: 'Your refund', summary: 'October 10th e-mail', occurredAt: at(10) });
    await log(callInput(customerId, { occurredAt: at(20), summary: 'October 20th call about the bag' }));
    const summaries = async (args: string) => (await walk(customerId, args, 10)).map((i) => i.summary);

    expect(await summaries('')).toEqual(['October 20th call about the bag', 'October 10th e-mail', 'October 5th chat', 'October 1st call about a refund']);
    expect(await summaries(', channels: [CALL]')).toEqual(['October 20th call about the bag', 'October 1st call about a refund']);
    expect(await summaries(', channels: [CHAT, EMAIL]')).toEqual(['October 10th e-mail', 'October 5th chat']);
    expect(await summaries(`, from: "${at(5)}", to: "${at(10)}"`)).toEqual(['October 10th e-mail', 'October 5th chat']);
    expect(await summaries(`, from: "${at(6)}"`)).toEqual(['October 20th call about the bag', 'October 10th e-mail']);
    expect(await summaries(`, to: "${at(4)}", channels: [CALL]`)).toEqual(['October 1st call about a refund']);
    expect(await summaries(`, from: "${at(21)}"`)).toEqual([]);
  });

  it('pages through interactions that share a time exactly once each, in (occurredAt, id) order', async () => {
    const customerId = randomUUID();
    const same = new Date(Date.now() - 3_600_000).toISOString();
    const logged = [];
    for (let i = 0; i < 7; i++) logged.push(await log(chatInput(customerId, { summary: `chat ${i}`, occurredAt: same })));
    for (let i = 0; i < 5; i++) logged.push(await log(chatInput(customerId, { summary: `later chat ${i}`, occurredAt: new Date(Date.now() - 60_000 * (5 - i)).toISOString() })));
    const expected = [...logged]
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((i) => i.id);
    for (const size of [1, 3, 5, 12]) {
      expect((await walk(customerId, '', size)).map((i) => i.id)).toEqual(expected);
    }
  });

  it('continues a cursor handed out earlier at the same place after newer interactions arrive', async () => {
    const customerId = randomUUID();
    for (let i = 0; i < 6; i++) await log(chatInput(customerId, { summary: `chat ${i}`, occurredAt: new Date(Date.now() - (10 - i) * 60_000).toISOString() }));
    const first = (await h.run(agent, history('(first: 2)'), entitiesOf(customerId))).data._entities[0].interactions;
    const next = (await h.run(agent, history(`(first: 2, after: "${first.pageInfo.endCursor}")`), entitiesOf(customerId))).data._entities[0].interactions;
    await log(chatInput(customerId, { summary: 'a newer chat' }));
    const again = (await h.run(agent, history(`(first: 2, after: "${first.pageInfo.endCursor}")`), entitiesOf(customerId))).data._entities[0].interactions;
    expect(again.edges.map((e: any) => e.node.summary)).toEqual(next.edges.map((e: any) => e.node.summary));
    expect(again.edges.map((e: any) => e.node.summary)).toEqual(['chat 3', 'chat 2']);
  });

  it('refuses a range that ends before it starts, a page size outside 1-100 and a forged cursor, naming the argument', async () => {
    const id = randomUUID();
    const error = async (args: string) => (await h.run(agent, history(args), entitiesOf(id))).errors?.[0];
    const backwards = await error('(from: "2026-10-10T00:00:00Z", to: "2026-10-09T23:59:59Z")');
    expect(backwards?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(backwards?.message).toMatch(/must not be before/);
    expect((await error('(first: 0)'))?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await error('(first: 101)'))?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await error('(after: "bm90LWEtY3Vyc29y")'))?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('reads the history of 20 customers in one statement, each customer\'s own', async () => {
    const customers = Array.from({ length: 20 }, () => randomUUID());
    for (const [i, customerId] of customers.entries()) {
      await log(chatInput(customerId, { summary: `chat of customer ${i}` }));
      await log(callInput(customerId, { summary: `call of customer ${i} about a bag` }));
    }
    const { result, queries } = await recordQueries(h.handle.db, () => h.run(agent, history('(first: 5)'), entitiesOf(...customers)));
    expect(result.errors).toBeUndefined();
    expect(queries.filter((q) => /from "interaction"\."interactions"|"interactions"/.test(q))).toHaveLength(1);
    result.data._entities.forEach((c: any, i: number) => {
      expect(c.interactions.edges.map((e: any) => e.node.summary).sort()).toEqual([`call of customer ${i} about a bag`, `chat of customer ${i}`]);
    });
  });

  it('shows a Customer token its own history and refuses another customer\'s; roles without read access are refused', async () => {
    const [mine, theirs] = [randomUUID(), randomUUID()];
    await log(chatInput(mine));
    const me = callerWith('Customer', { customerId: mine });
    expect((await h.run(me, history(), entitiesOf(mine))).data._entities[0].interactions.edges).toHaveLength(1);
    expect((await h.run(me, history(), entitiesOf(theirs))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.run(callerWith('DataAnalyst'), history(), entitiesOf(mine))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("keeps an agent's call notes from the customer's own token, and shows them to staff", async () => {
    const customerId = randomUUID();
    const call = await log(callInput(customerId));
    const read = (caller: ReturnType<typeof callerWith>) => h.run(caller, READ, { id: call.id });
    expect((await read(callerWith('Customer', { customerId }))).data.interaction).toMatchObject({ summary: call.summary, notes: null });
    expect((await read(agent)).data.interaction.notes).toBe(call.notes);
  });

  it('records 100 calls logged at once for one customer, each once, all on the history and the timeline', async () => {
    const customerId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.run(callerWith('SupportAgent', { subject: `agent-${i}` }), LOG, { input: callInput(customerId, { summary: `Concurrent call number ${i}`, durationSeconds: 60 + i }) }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const ids = results.map((r) => r.data.logInteraction.id).sort();
    expect(new Set(ids).size).toBe(100);
    expect((await walk(customerId, '', 30)).map((i) => i.id).sort()).toEqual(ids);
    const entries = (await h.handle.db.select().from(timelineEntries)).filter((e) => e.customerId === customerId);
    expect(entries.map((e) => e.sourceId).sort()).toEqual(ids);
    expect(new Set(entries.map((e) => e.actor)).size).toBe(100);
  });
});
