import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => {
  await t?.close();
});

it('answers with partial data and SERVICE_UNAVAILABLE when one subgraph is down, and /ready turns 503', async () => {
  const admin = bearer(await t.token('Admin'));
  const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'INDIVIDUAL', firstName: 'Pablo', lastName: 'Martín', primaryEmail: 'pablo.martin@example.com' },
  }, admin);
  const id = created.data.createCustomer.id;

  await t.platform.subgraphs.find((s) => s.name === 'loyalty')!.close();

  const read = await post(t.url, 'query($id: ID!) { customer(id: $id) { displayName loyalty { tier } cases { id } } }', { id }, admin);
  expect(read.data?.customer).toMatchObject({ displayName: 'Pablo Martín', loyalty: null, cases: [] });
  expect(read.errors).toHaveLength(1);
  expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'loyalty' });
  expect(read.errors?.[0]?.message).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED/);

  const ready = await fetch(new URL('/ready', t.url));
  expect(ready.status).toBe(503);
  const body = (await ready.json()) as { subgraphs: { name: string; ready: boolean }[] };
  expect(body.subgraphs.find((s) => s.name === 'loyalty')?.ready).toBe(false);
});
