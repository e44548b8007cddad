import { readFileSync } from 'node:fs';
import { SignJWT, base64url, generateKeyPair, importJWK } from 'jose';
import { buildSchema, getNamedType, isLeafType, Kind, parse, type GraphQLSchema, type ObjectTypeDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, type SubgraphName } from '@cmp/platform';
import { bearer, enrolledMember, post, startTestPlatform, type GraphQLResponse, type TestPlatform } from './platform-harness.ts';
import { liveClient, subscribe } from './live-client.ts';
import { operationFor, rootFields } from './support/operation-args.ts';

/**
 * The attack suite: the whole platform as production runs it (introspection and the explorer off, default
 * operation limits), over real HTTP and WebSocket, against the gateway and each subgraph directly.
 */
const api: GraphQLSchema = buildSchema(readFileSync(new URL('../schema/api-schema.graphql', import.meta.url), 'utf8'));
const SUBGRAPHS: SubgraphName[] = ['customer', 'interaction', 'case', 'invitation', 'loyalty'];

let t: TestPlatform;
let admin: Record<string, string>;
let subgraphUrl: Record<SubgraphName, string>;
/** Two customers: the attacker holds a Customer token of `own`, and tries to read `other`. */
let own: string;
let other: string;
let otherCase: string;
let otherInvitation: string;
let attacker: Record<string, string>;
let attackerToken: string;

beforeAll(async () => {
  t = await startTestPlatform({ env: { INTROSPECTION_ENABLED: 'false', EXPLORER_ENABLED: 'false' } });
  admin = bearer(await t.token('Admin', { mfa: true, subject: 'attack-suite-admin' }));
  subgraphUrl = Object.fromEntries(t.platform.subgraphs.map((s) => [s.name, s.url])) as Record<SubgraphName, string>;
  own = await enrolledMember(t.url, admin, 'PLATA', { firstName: 'Marta', lastName: 'Ortega' });
  other = await enrolledMember(t.url, admin, 'ORO', { firstName: 'Jorge', lastName: 'Salas' });
  const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
    input: { customerId: other, subject: 'Delayed bag', description: 'My bag arrived two days late.', category: 'BAGGAGE', priority: 'MEDIUM' },
  }, admin);
  expect(opened.errors).toBeUndefined();
  otherCase = opened.data.openCase.id;
  const issued = await post(t.url, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id } }', {
    input: {
      customerId: other,
      loungeCode: 'MAD-VELAZQUEZ',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 3_600_000).toISOString(),
      flightNumber: 'IB6275',
      guests: 0,
    },
  }, admin);
  expect(issued.errors).toBeUndefined();
  otherInvitation = issued.data.issueInvitation.id;
  attackerToken = await t.token('Customer', { customerId: own, subject: 'attack-suite-customer' });
  attacker = bearer(attackerToken);
}, 300_000);
afterAll(async () => {
  await t?.close();
});

/** What no answer may ever carry: SQL, driver messages, stack frames, file paths. */
const LEAK = /\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \S+ SET)\b|syntax error at or near|relation "|violates|PostgresError|\n\s+at |node_modules|\.ts:\d+|\.js:\d+/;

function expectNoLeak(label: string, response: GraphQLResponse) {
  expect(response.status, label).not.toBe(500);
  for (const error of response.errors ?? []) {
    expect(error.extensions?.code, `${label}: ${error.message}`).not.toBe('INTERNAL_SERVER_ERROR');
    expect(error.message, label).not.toMatch(LEAK);
    expect(JSON.stringify(error.extensions ?? {}), label).not.toMatch(LEAK);
  }
}

describe('production switches', () => {
  it('refuses introspection at the gateway, anonymous or not, and at every subgraph', async () => {
    const introspection = '{ __schema { queryType { name } types { name } } }';
    for (const headers of [{}, admin]) {
      const refused = await post(t.url, introspection, {}, headers);
      expect(refused.status).toBe(headers === admin ? 400 : 401);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors![0]!.extensions!.code).toBe(headers === admin ? 'GRAPHQL_VALIDATION_FAILED' : 'UNAUTHENTICATED');
    }
    expect((await post(t.url, introspection, {}, admin)).errors![0]!.message).toMatch(/introspection is not allowed/i);
    for (const name of SUBGRAPHS) {
      const refused = await post(subgraphUrl[name], '{ __type(name: "Query") { fields { name } } }', {}, admin);
      expect(refused.status, name).toBe(400);
      expect(refused.errors![0]!.message, name).toMatch(/introspection is not allowed/i);
    }
  });

  it('does not serve the explorer', async () => {
    const page = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).not.toMatch(/html/);
    expect(await page.text()).not.toMatch(/<html|graphiql/i);
  });
});

describe('token forgeries', () => {
  async function forgeries(): Promise<Record<string, string>> {
    const key = await loadOrCreateDevKey((t.settings.auth as { keyFile: string }).keyFile);
    const devKey = await importJWK(key.privateJwk, 'EdDSA');
    const claims = { roles: ['Admin'], amr: ['pwd', 'mfa'] };
    const now = Math.floor(Date.now() / 1000);
    const signed = (configure: (j: SignJWT) => SignJWT, header: Record<string, unknown> = { alg: 'EdDSA', kid: key.kid }) =>
      configure(new SignJWT(claims).setProtectedHeader(header as never).setSubject('forger').setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime('1h'));
    const genuine = await t.token('Viewer', { subject: 'forgery-base' });
    const [h, p, s] = genuine.split('.');
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
    const { privateKey: stranger } = await generateKeyPair('EdDSA');
    return {
      'alg none': `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ ...claims, iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: now + 600 }))}.`,
      'HS256 with the public key': await signed((j) => j, { alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      'HS256 with the raw public key': await signed((j) => j, { alg: 'HS256', kid: key.kid }).sign(base64url.decode(key.publicJwk.x!)),
      'wrong issuer': await signed((j) => j.setIssuer('https://attacker.example.com')).sign(devKey),
      'wrong audience': await signed((j) => j.setAudience('some-other-api')).sign(devKey),
      expired: await signed((j) => j.setExpirationTime(now - 300)).sign(devKey),
      'not yet valid': await signed((j) => j.setNotBefore(now + 3_600)).sign(devKey),
      'tampered payload': `${h}.${base64url.encode(JSON.stringify({ ...payload, roles: ['Admin'] }))}.${s}`,
      'tampered signature': `${h}.${p}.${s!.slice(0, -6)}${s!.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`,
      'unknown kid': await signed((j) => j, { alg: 'EdDSA', kid: 'attacker-key' }).sign(stranger),
      'another key, same kid': await signed((j) => j).sign(stranger),
      malformed: 'not.a.jwt',
      'not base64': '%%%.%%%.%%%',
    };
  }

  it('refuses every forgery at the gateway and at every subgraph with UNAUTHENTICATED and a reason', async () => {
    const query = `query($id: ID!) { customer(id: $id) { id displayName } }`;
    for (const [name, token] of Object.entries(await forgeries())) {
      for (const [target, url] of [['gateway', t.url], ...SUBGRAPHS.map((s) => [s, subgraphUrl[s]])] as const) {
        const answer = await post(url, target === 'gateway' || target === 'customer' ? query : '{ __typename }', { id: other }, bearer(token));
        const label = `${name} at ${target}`;
        expect(answer.status, label).toBe(401);
        expect(answer.data ?? null, label).toBeNull();
        expect(answer.errors, label).toHaveLength(1);
        expect(answer.errors![0]!.extensions!.code, label).toBe('UNAUTHENTICATED');
        // Apollo Server prefixes what the context (where the token is verified) refused with "Context creation failed".
        expect(answer.errors![0]!.message, label).toMatch(/^(Context creation failed: )?The token/);
        expectNoLeak(label, answer);
      }
    }
  });

  it('refuses calls to every subgraph without a token', async () => {
    for (const name of SUBGRAPHS) {
      const answer = await post(subgraphUrl[name], '{ __typename }', {});
      expect(answer.status, name).toBe(401);
      expect(answer.errors![0]!.extensions!.code, name).toBe('UNAUTHENTICATED');
    }
  });
});

describe('a Customer reading another customer', () => {
  const REFUSED = ['FORBIDDEN', 'NOT_FOUND'];

  it('gets nothing of the other customer through customer(id), case(id) and invitation(id)', async () => {
    const mine = await post(t.url, 'query($id: ID!) { customer(id: $id) { id displayName } }', { id: own }, attacker);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.customer).toMatchObject({ id: own, displayName: 'Marta Ortega' });
    for (const [query, id] of [
      ['query($id: ID!) { customer(id: $id) { id displayName primaryEmail cases { id } invitations { id } loyalty { tier } } }', other],
      ['query($id: ID!) { case(id: $id) { id subject description customer { id displayName } } }', otherCase],
      ['query($id: ID!) { invitation(id: $id) { id status qrCode { payload } customer { id displayName } } }', otherInvitation],
    ] as const) {
      const answer = await post(t.url, query, { id }, attacker);
      expectNoLeak(query, answer);
      expect(JSON.stringify(answer.data ?? {}), query).not.toMatch(/Jorge|Salas|Delayed bag/);
      expect(answer.errors?.length, query).toBeGreaterThan(0);
      for (const error of answer.errors!) expect(REFUSED, `${query}: ${error.message}`).toContain(error.extensions!.code);
    }
  });

  /** Every field a subgraph resolves on an entity type (no required arguments), for an _entities call. */
  function entitySelection(subgraph: SubgraphName, typeName: string): string {
    const sdl = parse(readFileSync(new URL(`../subgraphs/${subgraph}/src/schema.graphql`, import.meta.url), 'utf8'));
    const fields = sdl.definitions
      .filter((d): d is ObjectTypeDefinitionNode => (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === typeName)
      .flatMap((d) => d.fields ?? [])
      .filter((f) => !(f.arguments ?? []).some((a) => a.type.kind === Kind.NON_NULL_TYPE))
      .filter((f) => !f.directives?.some((d) => d.name.value === 'external' || d.name.value === 'inaccessible'));
    const apiType = api.getType(typeName);
    return fields
      .map((f) => {
        const apiField = apiType && 'getFields' in apiType ? (apiType.getFields() as Record<string, { type: never }>)[f.name.value] : undefined;
        const leaf = apiField ? isLeafType(getNamedType(apiField.type)) : true;
        return leaf ? f.name.value : `${f.name.value} { __typename }`;
      })
      .join(' ');
  }

  it('gets nothing of the other customer through _entities directly against every subgraph', async () => {
    const representations: Record<string, Record<string, unknown>> = {
      Customer: { id: other },
      Case: { id: otherCase },
      Invitation: { id: otherInvitation },
      AuditTrail: { customerId: other },
      ErasurePreview: { customerId: other },
    };
    let probed = 0;
    for (const subgraph of SUBGRAPHS) {
      for (const [typeName, representation] of Object.entries(representations)) {
        const selection = entitySelection(subgraph, typeName);
        if (!selection) continue;
        const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typeName} { ${selection} } } }`;
        const answer = await post(subgraphUrl[subgraph], query, { r: [{ __typename: typeName, ...representation }] }, attacker);
        const label = `${typeName} at ${subgraph}`;
        probed += 1;
        expectNoLeak(label, answer);
        expect(answer.status, label).toBe(200);
        const entity = (answer.data?._entities?.[0] ?? null) as Record<string, unknown> | null;
        // What may come back: nothing, or the key the attacker sent; every other field null or empty and refused.
        for (const [field, value] of Object.entries(entity ?? {})) {
          if (field in representation || field === '__typename') continue;
          expect(value === null || (Array.isArray(value) && value.length === 0), `${label}.${field} = ${JSON.stringify(value)}`).toBe(true);
        }
        expect(JSON.stringify(answer.data ?? {}), label).not.toMatch(/Jorge|Salas|Delayed bag|two days late/);
        for (const error of answer.errors ?? []) expect(REFUSED, `${label}: ${error.message}`).toContain(error.extensions!.code);
      }
    }
    expect(probed).toBeGreaterThanOrEqual(8);
  });

  it('cannot subscribe to the other customer’s timeline or invitation', async () => {
    const client = liveClient(t.url, attackerToken);
    try {
      const timeline = subscribe(client, 'subscription($c: ID!) { customerTimeline(customerId: $c) { type summary } }', { c: other });
      const invitation = subscribe(client, 'subscription($i: ID!) { invitationStatusChanged(invitationId: $i) { id status } }', { i: otherInvitation });
      for (const live of [timeline, invitation]) {
        await expect.poll(() => live.errors, { timeout: 10_000 }).not.toBeNull();
        expect(live.results).toEqual([]);
        for (const error of live.errors!) expect(REFUSED, error.message).toContain(error.extensions?.code);
      }
      // The own timeline is allowed: the refusals above are about the other customer, not subscriptions as such.
      const mine = subscribe(client, 'subscription($c: ID!) { customerTimeline(customerId: $c) { type } }', { c: own });
      await new Promise((r) => setTimeout(r, 500));
      expect(mine.errors).toBeNull();
      mine.stop();
    } finally {
      await client.dispose();
    }
  });
});

const INJECTIONS = [
  "'; drop table customer.customers; --",
  '<script>alert(1)</script>',
  '" OR 1=1 --',
  'nul\u0000byte',
  "%' OR '1'='1",
  `${'Ä'.repeat(5_000)}${'x'.repeat(5_000)}`,
];

describe('injection strings in every text input', () => {
  it('never answers INTERNAL_SERVER_ERROR, SQL or a stack, in any String argument of any query or mutation', async () => {
    const failures: string[] = [];
    let calls = 0;
    for (const type of ['Query', 'Mutation'] as const) {
      for (const field of rootFields(api, type)) {
        for (const injection of INJECTIONS) {
          const { query, variables } = operationFor(api, type, field, {
            includeOptional: true,
            override: (_path, named) => (named === 'String' ? injection : undefined),
          });
          const answer = await post(t.url, query, variables, admin);
          calls += 1;
          try {
            expectNoLeak(`${type}.${field}`, answer);
          } catch (error) {
            failures.push(`${type}.${field} with ${JSON.stringify(injection.slice(0, 40))}: ${(error as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 600_000);

  it('searches with injection strings as plain text', async () => {
    for (const injection of INJECTIONS) {
      const answer = await post(t.url, 'query($q: String) { searchCustomers(query: $q) { totalCount } }', { q: injection }, admin);
      expectNoLeak(injection, answer);
      if (!answer.errors) expect(answer.data.searchCustomers.totalCount, injection).toBe(0);
      // Too long: the argument is named; a NUL is refused before parsing, naming the variable that holds it.
      else expect(answer.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: injection.includes('\u0000') ? 'q' : 'query' });
    }
    // The table is still there, with its customers.
    const still = await post(t.url, 'query($q: String) { searchCustomers(query: $q) { totalCount } }', { q: 'Salas' }, admin);
    expect(still.data.searchCustomers.totalCount).toBe(1);
  });

  it('stores what it accepts verbatim, not executed and not altered', async () => {
    for (const injection of INJECTIONS.slice(0, 5)) {
      const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
        input: { type: 'INDIVIDUAL', firstName: injection, lastName: 'Prueba', primaryEmail: `inj.${Math.random().toString(36).slice(2)}@example.com` },
      }, admin);
      expectNoLeak(injection, created);
      if (created.errors) {
        expect(created.errors[0]!.extensions, injection).toMatchObject({ code: 'BAD_USER_INPUT' });
      } else {
        const read = await post(t.url, 'query($id: ID!) { customer(id: $id) { firstName } }', { id: created.data.createCustomer.id }, admin);
        expect(read.data.customer.firstName, injection).toBe(injection);
      }
      const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id description subject } }', {
        input: { customerId: own, subject: 'Injection check', description: `Said: ${injection}`, category: 'OTHER', priority: 'LOW' },
      }, admin);
      expectNoLeak(injection, opened);
      if (opened.errors) expect(opened.errors[0]!.extensions, injection).toMatchObject({ code: 'BAD_USER_INPUT' });
      else expect(opened.data.openCase.description, injection).toBe(`Said: ${injection}`);
    }
    // Not a NUL: everything else is ordinary text and is stored as sent.
    const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { description } }', {
      input: { customerId: own, subject: 'Script', description: '<script>alert(1)</script>', category: 'OTHER', priority: 'LOW' },
    }, admin);
    expect(opened.data.openCase.description).toBe('<script>alert(1)</script>');
  });
});

describe('oversized and expensive operations', () => {
  it('answers 413 to a body over the limit and 400 to deep, alias-flooded and huge-list operations', async () => {
    const big = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(t.settings.gateway.maxRequestBytes) } }),
    });
    expect(big.status).toBe(413);
    const deep = await post(t.url, `query($id: ID!) { customer(id: $id) { ${'cases { customer { '.repeat(20)}id${' } }'.repeat(20)} } }`, { id: own }, admin);
    expect(deep.status).toBe(400);
    expect(deep.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'depth' });
    const aliases = await post(t.url, `query($id: ID!) { ${Array.from({ length: 100 }, (_, i) => `a${i}: customer(id: $id) { id }`).join(' ')} }`, { id: own }, admin);
    expect(aliases.status).toBe(400);
    expect(aliases.errors!.map((e) => e.extensions!.field)).toContain('aliases');
    const huge = await post(t.url, 'query($id: ID!) { customer(id: $id) { timeline(first: 1000000) { edges { node { id summary } } } } }', { id: own }, admin);
    expect(huge.status).toBe(400);
    expect(huge.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', field: 'cost' });
    const fragments = await post(t.url, `query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, {}, admin);
    expect(fragments.status).toBe(400);
    expectNoLeak('fragment cycle', fragments);
  });
});

describe('after all of it', () => {
  it('the gateway and every subgraph still serve', async () => {
    expect((await fetch(new URL('/health', t.url))).status).toBe(200);
    for (const name of SUBGRAPHS) expect((await fetch(new URL('/health', subgraphUrl[name]))).status, name).toBe(200);
    const read = await post(t.url, 'query($id: ID!) { customer(id: $id) { displayName loyalty { tier } cases { id } invitations { id } } }', { id: other }, admin);
    expect(read.errors).toBeUndefined();
    expect(read.data.customer).toMatchObject({ displayName: 'Jorge Salas', loyalty: { tier: 'ORO' }, cases: [{ id: otherCase }], invitations: [{ id: otherInvitation }] });
  });
});
