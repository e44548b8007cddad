import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configureExternalLoyalty } from '../src/adapters/external-loyalty.ts';
import { outbox } from '../src/db/schema.ts';
import { loyaltySubgraph } from '../src/index.ts';
import { enrol } from './support.ts';

/** The airline's loyalty system, played on loopback: it can answer, be slow, fail, or be switched off. */
class StandIn {
  mode: 'ok' | 'slow' | 'fail' | 'down' = 'ok';
  hits = 0;
  members = new Map<string, { tier: string; aviosBalance: number; elitePoints: number }>();
  private server = http.createServer((req, res) => {
    this.hits++;
    if (this.mode === 'down') return req.socket.destroy();
    if (this.mode === 'fail') return res.writeHead(503).end('maintenance');
    const member = this.members.get(decodeURIComponent(req.url!.split('/').pop()!));
    const answer = () => (member ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(member)) : res.writeHead(404).end());
    if (this.mode === 'slow') setTimeout(answer, 500);
    else answer();
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

const REFRESH = `mutation($id: ID!) { refreshLoyaltyAccount(id: $id) { source failure dataAsOf account { tier aviosBalance syncedAt } } }`;
const ELIGIBILITY = `query($c: ID!) { loungeEligibility(customerId: $c, loungeCode: "MAD-DALI", cabin: ECONOMY) { eligible tier source dataAsOf } }`;

let h: SubgraphHarness;
const standIn = new StandIn();
const viewer = callerWith('Viewer');

beforeAll(async () => {
  h = await startSubgraphHarness(loyaltySubgraph);
  await standIn.start();
});
afterEach(() => {
  standIn.mode = 'ok';
  configureExternalLoyalty(null);
});
afterAll(async () => {
  await standIn.stop();
  await h?.close();
});

describe('external loyalty system', () => {
  it('refreshes an account from the system of record, moving its tier with history', async () => {
    configureExternalLoyalty({ baseUrl: standIn.url, timeoutMs: 200, maxAttempts: 1 });
    const { accountId, memberNumber } = await enrol(h, 'PLATA');
    standIn.members.set(memberNumber, { tier: 'ORO', aviosBalance: 12_345, elitePoints: 8_000 });
    const result = await h.run(viewer, REFRESH, { id: accountId });
    expect(result.errors).toBeUndefined();
    expect(result.data.refreshLoyaltyAccount).toMatchObject({ source: 'EXTERNAL', failure: null, account: { tier: 'ORO', aviosBalance: 12_345 } });
    const history = await h.run(viewer, 'query($id: ID!) { loyaltyAccount(id: $id) { tierHistory { toTier reason } } }', { id: accountId });
    expect(history.data.loyaltyAccount.tierHistory.at(-1)).toEqual({ toTier: 'ORO', reason: 'EXTERNAL_SYNC' });
    const synced = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === accountId && e.type === 'cmp.loyalty.LoyaltyAccountSynced');
    expect(synced.map((e) => e.data)).toEqual([expect.objectContaining({ tier: 'ORO', aviosBalance: 12_345 })]);
  });

  it('retries with backoff and falls back to the last stored state, with its age, when the system is slow', async () => {
    configureExternalLoyalty({ baseUrl: standIn.url, timeoutMs: 100, maxAttempts: 2, initialBackoffMs: 10 });
    const { accountId, memberNumber, customerId } = await enrol(h, 'ORO');
    standIn.members.set(memberNumber, { tier: 'ORO', aviosBalance: 10, elitePoints: 0 });
    await h.run(viewer, REFRESH, { id: accountId });
    standIn.mode = 'slow';
    const before = standIn.hits;
    const result = await h.run(viewer, REFRESH, { id: accountId });
    expect(standIn.hits - before).toBe(2);
    expect(result.data.refreshLoyaltyAccount).toMatchObject({ source: 'EXTERNAL_STALE', failure: 'TIMEOUT', account: { tier: 'ORO' } });
    expect(result.data.refreshLoyaltyAccount.dataAsOf).toEqual(result.data.refreshLoyaltyAccount.account.syncedAt);
    // Eligibility never blocks on the outage: it answers from the stored tier and says so.
    const eligibility = await h.run(viewer, ELIGIBILITY, { c: customerId });
    expect(eligibility.data.loungeEligibility).toMatchObject({ eligible: true, tier: 'ORO' });
  });

  it('opens the circuit after repeated failures, stops calling the system, and closes again once it recovers', async () => {
    const system = configureExternalLoyalty({ baseUrl: standIn.url, timeoutMs: 200, maxAttempts: 1, breakAfter: 3, halfOpenAfterMs: 300 })!;
    const { accountId, memberNumber } = await enrol(h, 'PLATA');
    standIn.members.set(memberNumber, { tier: 'PLATA', aviosBalance: 1, elitePoints: 0 });
    standIn.mode = 'fail';
    for (let i = 0; i < 3; i++) {
      expect((await h.run(viewer, REFRESH, { id: accountId })).data.refreshLoyaltyAccount.failure).toMatch(/HTTP 503/);
    }
    expect(system.circuit).toBe('OPEN');

    const hits = standIn.hits;
    const open = await h.run(viewer, REFRESH, { id: accountId });
    expect(open.data.refreshLoyaltyAccount).toMatchObject({ source: 'EXTERNAL_STALE', failure: 'CIRCUIT_OPEN' });
    expect(standIn.hits).toBe(hits);

    standIn.mode = 'ok';
    await new Promise((r) => setTimeout(r, 350));
    const recovered = await h.run(viewer, REFRESH, { id: accountId });
    expect(recovered.data.refreshLoyaltyAccount).toMatchObject({ source: 'EXTERNAL', failure: null });
    expect(system.circuit).toBe('CLOSED');
  });

  it('treats a system that is switched off like any other outage', async () => {
    configureExternalLoyalty({ baseUrl: standIn.url, timeoutMs: 200, maxAttempts: 1 });
    const { accountId } = await enrol(h, 'CLASICA');
    standIn.mode = 'down';
    const result = await h.run(viewer, REFRESH, { id: accountId });
    expect(result.data.refreshLoyaltyAccount).toMatchObject({ source: 'EXTERNAL_STALE', failure: expect.stringMatching(/unreachable/), account: { tier: 'CLASICA' } });
  });

  it('serves eligibility from a stored copy younger than its maximum age without calling the system', async () => {
    configureExternalLoyalty({ baseUrl: standIn.url, timeoutMs: 200, maxAttempts: 1, maxAgeSeconds: 600 });
    const { accountId, memberNumber, customerId } = await enrol(h, 'PLATINO');
    standIn.members.set(memberNumber, { tier: 'PLATINO', aviosBalance: 5, elitePoints: 20_000 });
    await h.run(viewer, REFRESH, { id: accountId });
    const hits = standIn.hits;
    const eligibility = await h.run(viewer, ELIGIBILITY, { c: customerId });
    expect(eligibility.data.loungeEligibility).toMatchObject({ eligible: true, tier: 'PLATINO', source: 'EXTERNAL' });
    expect(standIn.hits).toBe(hits);
  });
});
