import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';

let t: TestPlatform;
let feed: string;

beforeAll(async () => {
  feed = await mkdtemp(path.join(os.tmpdir(), 'cmp-feed-'));
  t = await startTestPlatform({ env: { HISTORY_FEED_DIR: feed } });
});
afterAll(async () => {
  await t?.close();
});

async function lines(dir: string): Promise<any[]> {
  const out: any[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (entry.endsWith('.ndjson')) out.push(...(await readFile(path.join(dir, entry), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)));
  }
  return out;
}

describe('the data platform history feed', () => {
  it('writes every subgraph\'s events as CloudEvents, one per line, in a file per hour', async () => {
    const admin = bearer(await t.token('Admin'));
    const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Hugo', lastName: 'Vidal', primaryEmail: `hugo.${Date.now()}@example.com` },
    }, admin);
    const customerId = created.data.createCustomer.id;
    await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
      input: { customerId, subject: 'Seat not as booked', description: 'Paid for an exit row, got a middle seat.', category: 'SERVICE_QUALITY' },
    }, admin);
    const events = await eventually(async () => {
      // Reactions may follow (the complaint moves the customer's rating); these two are there, each once.
      const mine = (await lines(feed)).filter((e) => e.customerid === customerId);
      const types = mine.map((e) => e.type);
      for (const type of ['cmp.case.CustomerComplaintReceived', 'cmp.customer.CustomerRegistered']) expect(types.filter((t) => t === type)).toHaveLength(1);
      return mine;
    });
    expect(events.every((e) => e.specversion === '1.0' && e.id && e.time)).toBe(true);
    const hour = new Date(events[0].time).toISOString();
    expect(await readdir(path.join(feed, hour.slice(0, 4), hour.slice(5, 7), hour.slice(8, 10)))).toContain(`${hour.slice(11, 13)}.ndjson`);
  });
});
