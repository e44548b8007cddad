import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';
import { liveClient, subscribe } from '../../test/live-client.ts';

/**
 * The gateway's protection with its default operation limits and a low rate limit (so it can be reached in a
 * spec): every test speaks with its own token subject, so only the rate-limit tests spend a budget.
 */
const RATE_LIMIT = 8;
const SUBSCRIPTION_LIMIT = 2;
const WINDOW_S = 5;

let t: TestPlatform;
let customerId: string;
let invitationId: string;

const staff = async (subject: string) => bearer(await t.token('Admin', { subject }));

beforeAll(async () => {
  t = await startTestPlatform({
    env: { RATE_LIMIT_REQUESTS: String(RATE_LIMIT), RATE_LIMIT_SUBSCRIPTIONS: String(SUBSCRIPTION_LIMIT), RATE_LIMIT_WINDOW_S: String(WINDOW_S) },
  });
  const admin = await staff('setup');
  const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'INDIVIDUAL', firstName: 'Lucía', lastName: 'Navarro', primaryEmail: `lucia.${Date.now()}@example.com` },
  }, admin);
  expect(created.errors).toBeUndefined();
  customerId = created.data.createCustomer.id;
  const issued = await post(t.url, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id } }', {
    input: {
      customerId,
      loungeCode: 'MAD-VELAZQUEZ',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 3_600_000).toISOString(),
      flightNumber: 'IB6275',
      guests: 0,
    },
  }, admin);
  // The invitation is only needed for the subscription limits; eligibility may refuse a fresh customer.
  invitationId = issued.data?.issueInvitation?.id;
}, 300_000);
afterAll(async () => {
  await t?.close();
});

/** customer → cases → customer → … : `levels` pairs deep, plus the customer itself. */
const deepCustomer = (levels: number) => `query($id: ID!) { customer(id: $id) { ${'cases { customer { '.repeat(levels)}id${' } }'.repeat(levels)} } }`;

async function raw(body: string, headers: Record<string, string>) {
  const response = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('operation limits', () => {
  it('serves the deepest operation the project sends and refuses one past the depth limit, naming the limit', async () => {
    const headers = await staff('limits-depth');
    const allowed = await post(t.url, deepCustomer(5), { id: customerId }, headers); // depth 12, the limit
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.customer.cases).toEqual([]);
    const refused = await post(t.url, deepCustomer(6), { id: customerId }, headers); // depth 14
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: 'The operation is refused: Query depth limit of 12 exceeded, found 14.',
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'depth', limit: 12 }),
      }),
    ]);
  });

  it('refuses a huge list by its cost, too many aliases, too many directives and too many tokens', async () => {
    const headers = await staff('limits-others');
    const huge = await post(t.url, 'query($id: ID!) { customer(id: $id) { timeline(first: 100000) { edges { node { id type summary occurredAt } } } } }', { id: customerId }, headers);
    expect(huge.status).toBe(400);
    expect(huge.errors![0]!.message).toMatch(/^The operation is refused: Query Cost limit of 20000 exceeded, found \d+/);
    expect(huge.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'cost', limit: 20_000 });

    const aliases = (n: number) => `query($id: ID!) { ${Array.from({ length: n }, (_, i) => `c${i}: customer(id: $id) { id }`).join(' ')} }`;
    expect((await post(t.url, aliases(30), { id: customerId }, headers)).errors).toBeUndefined();
    const flood = await post(t.url, aliases(31), { id: customerId }, headers);
    expect(flood.status).toBe(400);
    expect(flood.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'aliases', limit: 30 });

    const directives = `query($id: ID!) { customer(id: $id) { ${Array.from({ length: 51 }, () => 'id @include(if: true)').join(' ')} } }`;
    const directed = await post(t.url, directives, { id: customerId }, headers);
    expect(directed.status).toBe(400);
    expect(directed.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'directives', limit: 50 });

    const tokens = await post(t.url, `{ ${'__typename '.repeat(6_000)}}`, {}, headers);
    expect(tokens.status).toBe(400);
    expect(tokens.errors![0]).toMatchObject({
      message: expect.stringMatching(/^Syntax Error: Document contains more tha[nt] 5000 tokens\. Parsing aborted\.$/),
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('refuses batched requests and bodies over the size limit', async () => {
    const headers = await staff('limits-batch');
    const batch = await raw(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]), headers);
    expect(batch.status).toBe(400);
    expect(JSON.stringify(batch.body)).toMatch(/batching/i);

    const big = await raw(JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(t.settings.gateway.maxRequestBytes) } }), headers);
    expect(big.status).toBe(413);
    expect(big.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('applies the same limits to subscription documents', async () => {
    const client = liveClient(t.url, await t.token('Admin', { subject: 'limits-subscriptions' }));
    try {
      const deep = subscribe(
        client,
        `subscription($id: ID!) { invitationStatusChanged(invitationId: $id) { customer { ${'cases { customer { '.repeat(6)}id${' } }'.repeat(6)} } } }`,
        { id: invitationId ?? '00000000-0000-4000-8000-000000000000' },
      );
      await eventually(async () => expect(deep.errors).not.toBeNull(), 15_000);
      expect(deep.errors![0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED', field: 'depth', limit: 12 } });
    } finally {
      await client.dispose();
    }
  });
});

describe('rate limits per caller', () => {
  it('answers 429 with Retry-After to a caller over its limit, still serves another caller, and serves it again after the window', async () => {
    const flooding = await staff('rate-flooding');
    const other = await staff('rate-other');
    // All at once, so the whole budget is spent within one window (it starts at the caller's first request).
    const statuses = await Promise.all(Array.from({ length: RATE_LIMIT + 3 }, async () => (await post(t.url, '{ __typename }', {}, flooding)).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    const over = await raw(JSON.stringify({ query: '{ __typename }' }), flooding);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_S);
    expect(over.body.errors[0]).toMatchObject({ message: expect.stringMatching(/^Too many requests; try again in \d+ s$/), extensions: { code: 'RATE_LIMITED' } });
    // Another caller is not affected.
    const served = await post(t.url, '{ __typename }', {}, other);
    expect(served).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    // After the window the flooding caller is served again.
    await new Promise((r) => setTimeout(r, Number(over.headers.get('retry-after')) * 1000 + 100));
    expect(await post(t.url, '{ __typename }', {}, flooding)).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });

  it('counts requests without a valid token against the client address, not against the subject a forged token names', async () => {
    const victim = await staff('rate-victim');
    const forged = `${(await t.token('Admin', { subject: 'rate-victim' })).slice(0, -4)}AAAA`;
    const statuses = await Promise.all(Array.from({ length: RATE_LIMIT + 2 }, async () => (await raw(JSON.stringify({ query: '{ __typename }' }), bearer(forged))).status));
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(statuses.filter((s) => s !== 429).every((s) => s === 401)).toBe(true);
    expect(await post(t.url, '{ __typename }', {}, victim)).toMatchObject({ status: 200 });
    // The address's budget comes back after the window.
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000 + 200));
    expect((await raw(JSON.stringify({ query: '{ __typename }' }), bearer(forged))).status).toBe(401);
  });

  it('limits subscription starts per caller', async () => {
    const client = liveClient(t.url, await t.token('Admin', { subject: 'rate-subscriptions' }));
    try {
      const query = 'subscription($c: ID!) { customerTimeline(customerId: $c) { type } }';
      const started = Array.from({ length: SUBSCRIPTION_LIMIT + 1 }, () => subscribe(client, query, { c: customerId }));
      await eventually(async () => expect(started.filter((s) => s.errors).length).toBe(1), 15_000);
      expect(started.find((s) => s.errors)!.errors![0]).toMatchObject({
        message: expect.stringMatching(/^Too many subscriptions started; try again in \d+ s$/),
        extensions: { code: 'RATE_LIMITED' },
      });
    } finally {
      await client.dispose();
    }
  });
});

describe('security headers', () => {
  const expectSecurityHeaders = (headers: Headers) => {
    expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-powered-by')).toBeNull();
  };

  it('sends them on API answers, errors, health and the explorer', async () => {
    const api = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await staff('headers')) }, body: '{"query":"{ __typename }"}' });
    expectSecurityHeaders(api.headers);
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
    const refused = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ queues { code } }"}' });
    expect(refused.status).toBe(401);
    expectSecurityHeaders(refused.headers);
    const health = await fetch(new URL('/health', t.url));
    expectSecurityHeaders(health.headers);
  });

  it('lets the explorer run exactly its own inline scripts', async () => {
    const explorer = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(explorer.status).toBe(200);
    expectSecurityHeaders(explorer.headers);
    const html = await explorer.text();
    const csp = explorer.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).not.toMatch(/src=/); // nothing loaded from elsewhere
      expect(directives['script-src']).toContain(`'sha256-${createHash('sha256').update(body!, 'utf8').digest('base64')}'`);
    }
    expect(directives['script-src']).toHaveLength(scripts.length); // no 'unsafe-inline', no 'unsafe-eval', no hosts
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
  });
});
