import type { CloudEvent } from '@cmp/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from '../../test/platform-harness.ts';

const CREATE_CUSTOMER = /* GraphQL */ `
  mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id customerNumber } }
`;
const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($id: ID!) {
    customer(id: $id) {
      id
      customerNumber
      displayName
      loyalty { tier memberNumber oneworldTier }
      cases { caseNumber status subject }
      invitations { status loungeCode guests }
      timeline(first: 10) { edges { cursor node { type summary occurredAt } } pageInfo { hasNextPage } }
    }
  }
`;

let t: TestPlatform;

let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestPlatform();
  admin = bearer(await t.token('Admin'));
});
afterAll(async () => {
  await t?.close();
});

async function createCustomer(email = `ana.${Math.random().toString(36).slice(2, 9)}@example.com`) {
  const result = await post(t.url, CREATE_CUSTOMER, {
    input: { type: 'INDIVIDUAL', firstName: 'Ana', lastName: 'García', primaryEmail: email },
  }, admin);
  expect(result.errors).toBeUndefined();
  return result.data.createCustomer as { id: string; customerNumber: string };
}

describe('the supergraph through the gateway', () => {
  it('writes to all five subgraphs and reads the customer back with loyalty, cases, timeline and invitations in one query', async () => {
    const customer = await createCustomer();
    const customerId = customer.id;
    const enrolled = await post(t.url, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { tier } }',
      { input: { customerId, tier: 'ORO' } }, admin);
    expect(enrolled.errors).toBeUndefined();
    const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { caseNumber } }', {
      input: { customerId, subject: 'Lost bag on IB3166', description: 'The bag never arrived in Madrid.', category: 'BAGGAGE', priority: 'HIGH' },
    }, admin);
    expect(opened.errors).toBeUndefined();
    const now = Date.now();
    const issued = await post(t.url, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id status } }', {
      input: {
        customerId,
        loungeCode: 'MAD-VELAZQUEZ',
        validFrom: new Date(now - 60_000).toISOString(),
        validUntil: new Date(now + 6 * 3_600_000).toISOString(),
        guests: 1,
        flightNumber: 'IB6253',
      },
    }, admin);
    expect(issued.errors).toBeUndefined();
    const logged = await post(t.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId, channel: 'CALL', direction: 'INBOUND', durationSeconds: 240, summary: 'Customer called about the missing bag.' },
    }, admin);
    expect(logged.errors).toBeUndefined();

    // Other subgraphs' events reach the timeline through the outbox relay and the interaction projection.
    const viewer = bearer(await t.token('Viewer'));
    const read = await eventually(async () => {
      const result = await post(t.url, CUSTOMER_360, { id: customerId }, viewer);
      const types = result.data?.customer?.timeline.edges.map((e: any) => e.node.type) ?? [];
      expect(types.sort()).toEqual(['CASE', 'COMMUNICATION', 'INVITATION', 'LOYALTY', 'PROFILE']);
      return result;
    });
    expect(read.errors).toBeUndefined();
    expect(read.data.customer).toMatchObject({
      id: customerId,
      customerNumber: customer.customerNumber,
      displayName: 'Ana García',
      loyalty: { tier: 'ORO', oneworldTier: 'SAPPHIRE' },
      cases: [{ caseNumber: opened.data.openCase.caseNumber, status: 'NEW', subject: 'Lost bag on IB3166' }],
      invitations: [{ status: 'ISSUED', loungeCode: 'MAD-VELAZQUEZ', guests: 1 }],
    });
    expect(read.data.customer.loyalty.memberNumber).toMatch(/^IB\d{9}$/);
    const summaries = read.data.customer.timeline.edges.map((e: any) => e.node.summary);
    expect(summaries).toContain(`Case ${opened.data.openCase.caseNumber} opened: Lost bag on IB3166`);
    expect(summaries).toContain(`Customer ${customer.customerNumber} registered`);
    expect(summaries).toContain('Lounge invitation to MAD-VELAZQUEZ for IB6253');
    expect(summaries).toContain('Inbound call (4 min): Customer called about the missing bag.');
  });

  it('refuses a Viewer creating a customer with FORBIDDEN', async () => {
    const result = await post(t.url, CREATE_CUSTOMER, {
      input: { type: 'INDIVIDUAL', firstName: 'A', lastName: 'B', primaryEmail: 'viewer.try@example.com' },
    }, bearer(await t.token('Viewer')));
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a request without a token with UNAUTHENTICATED and HTTP 401', async () => {
    const result = await post(t.url, '{ customer(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by another key with UNAUTHENTICATED', async () => {
    const [header, payload] = (await t.token('Admin')).split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const result = await post(t.url, '{ __typename }', {}, bearer(forged));
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers an invalid e-mail with BAD_USER_INPUT naming the field, and the request id', async () => {
    const result = await post(t.url, CREATE_CUSTOMER, {
      input: { type: 'INDIVIDUAL', firstName: 'A', lastName: 'B', primaryEmail: 'not-an-email' },
    }, { ...admin, 'x-request-id': 'req-spec-0000001' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'primaryEmail', requestId: 'req-spec-0000001' });
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|at .*\.ts|select |insert /i);
  });

  it('answers CUST-002 across the gateway for a duplicate e-mail, never a 500', async () => {
    const email = `dup.${Date.now()}@example.com`;
    await createCustomer(email);
    const again = await post(t.url, CREATE_CUSTOMER, {
      input: { type: 'INDIVIDUAL', firstName: 'A', lastName: 'B', primaryEmail: email },
    }, admin);
    expect(again.status).toBe(200);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CUST-002', field: 'primaryEmail' });
  });
});

describe('request context', () => {
  it("carries the caller's traceparent from the gateway through the subgraph into the event it emits", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const seen = new Promise<CloudEvent>((resolve) => {
      const unsubscribe = t.platform.bus.subscribe({
        consumer: 'spec.trace',
        types: ['cmp.customer.CustomerRegistered'],
        handler: async (event) => {
          if (event.traceparent === traceparent) {
            unsubscribe();
            resolve(event);
          }
        },
      });
    });
    const result = await post(t.url, CREATE_CUSTOMER, {
      input: { type: 'INDIVIDUAL', firstName: 'Traza', lastName: 'Prueba', primaryEmail: 'traza.prueba@example.com' },
    }, { ...admin, traceparent, 'x-request-id': 'req-trace-000001' });
    const event = await seen;
    expect(event).toMatchObject({ source: 'cmp.customer', customerid: result.data.createCustomer.id, traceparent });
  });
});

describe('subgraphs trust nobody', () => {
  it('answers UNAUTHENTICATED on every subgraph called directly without a token', async () => {
    for (const subgraph of t.platform.subgraphs) {
      const result = await post(subgraph.url, '{ _service { sdl } }');
      expect(result.status, subgraph.name).toBe(401);
      expect(result.errors?.[0]?.extensions?.code, subgraph.name).toBe('UNAUTHENTICATED');
    }
  });

  it('serves a subgraph called directly with a valid token', async () => {
    const customerSubgraph = t.platform.subgraphs.find((s) => s.name === 'customer')!;
    const result = await post(customerSubgraph.url, '{ _service { sdl } }', {}, admin);
    expect(result.data?._service.sdl).toContain('type Customer');
  });
});

describe('gateway endpoints', () => {
  it('answers an oversized body with 413 and a body that is not JSON with 400, both as GraphQL errors', async () => {
    const big = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(17_000_000)}` }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ errors: [{ message: 'The request body exceeds 16777216 bytes', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    const garbled = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: '{"query": ' });
    expect(garbled.status).toBe(400);
    expect((await garbled.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('reports health and readiness of every subgraph', async () => {
    const origin = new URL(t.url).origin;
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { subgraphs: { name: string; ready: boolean }[] };
    expect(body.subgraphs.map((s) => s.name).sort()).toEqual(['case', 'customer', 'interaction', 'invitation', 'loyalty']);
    expect(body.subgraphs.every((s) => s.ready)).toBe(true);
  });

  it('serves a self-contained explorer to browsers, loading nothing from the internet', async () => {
    const response = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
  });

  it('reports to nobody: Apollo usage and gateway telemetry are off', () => {
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
    expect(process.env.APOLLO_KEY).toBeUndefined();
  });

  it('lets the explorer introspect without a token but nothing else', async () => {
    const schema = await post(t.url, '{ __schema { queryType { name } } }');
    expect(schema.data?.__schema.queryType.name).toBe('Query');
    const mixed = await post(t.url, '{ __typename customer(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(mixed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
