import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MFA_PRIVILEGES,
  OPERATION_ACCESS,
  Privilege,
  ROLE_PRIVILEGES,
  ROLES,
  operationAllowed,
  type Privilege as PrivilegeValue,
  type Role,
} from '@cmp/platform';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';
import { operationFor, rootFields } from './support/operation-args.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOMAIN = readFileSync(path.resolve(repoRoot, '../shared/DOMAIN.md'), 'utf8');

/** DOMAIN.md's matrix columns and the privilege each one is. */
const COLUMNS: Record<string, PrivilegeValue> = {
  Create: Privilege.CustomerCreate,
  Read: Privilege.CustomerRead,
  Update: Privilege.CustomerUpdate,
  'Delete/Deactivate': Privilege.CustomerDeactivate,
  'Manage complaints': Privilege.ComplaintManage,
  Merge: Privilege.CustomerMerge,
};
const COLUMN_PRIVILEGES = new Set(Object.values(COLUMNS));

/** The markdown table under "Roles and privileges": role -> the columns marked `y`. */
function domainMatrix(): Map<string, Set<string>> {
  const section = DOMAIN.slice(DOMAIN.indexOf('## Roles and privileges'));
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  const header = cells(lines[0]!);
  const matrix = new Map<string, Set<string>>();
  for (const line of lines.slice(2)) {
    const row = cells(line);
    if (row.length !== header.length) break;
    matrix.set(row[0]!, new Set(header.slice(1).filter((_, i) => row[i + 1] === 'y')));
  }
  return matrix;
}

const columnsOf = (role: Role) => new Set([...ROLE_PRIVILEGES[role]].filter((p) => COLUMN_PRIVILEGES.has(p)));

describe('the role matrix against DOMAIN.md', () => {
  it('grants the five matrix roles exactly the columns DOMAIN.md marks', () => {
    const matrix = domainMatrix();
    expect([...matrix.keys()].sort()).toEqual(['Admin', 'CustomerManager', 'SalesRep', 'SupportAgent', 'Viewer']);
    expect(Object.keys(COLUMNS).every((column) => DOMAIN.includes(`| ${column} |`))).toBe(true);
    for (const [role, columns] of matrix) {
      const expected = [...columns].map((c) => COLUMNS[c]).sort();
      expect([...columnsOf(role as Role)].sort(), role).toEqual(expected);
    }
  });

  it('maps the airline roles as DOMAIN.md says', () => {
    // The sentences this mapping is read from: a change in DOMAIN.md must be reflected here and in roles.ts.
    for (const phrase of [
      'ContactCentreAgent and CheckInAgent ~ SupportAgent plus invitation issuing',
      'CustomerAffairsExecutive ~ SupportAgent plus compensation approval',
      'MarketingManager approves testimonials and reads segments',
      'DataPrivacyOfficer runs GDPR export/erasure and may read sensitive fields',
      'LoyaltyManager manages loyalty accounts',
      'DataAnalyst reads anonymised aggregates only',
      'LoungeDevice may only call `validateQr` for its own lounge',
      'Customer (self-service) sees only its own data',
    ]) {
      expect(DOMAIN, phrase).toContain(phrase);
    }
    const support = ROLE_PRIVILEGES.SupportAgent;
    const plus = (role: Role, extra: PrivilegeValue[]) => {
      expect([...columnsOf(role)].sort(), role).toEqual([...columnsOf('SupportAgent')].sort());
      for (const p of [...support, ...extra]) expect(ROLE_PRIVILEGES[role].has(p), `${role} ${p}`).toBe(true);
    };
    plus('ContactCentreAgent', [Privilege.InvitationIssue]);
    plus('CheckInAgent', [Privilege.InvitationIssue]);
    plus('CustomerAffairsExecutive', [Privilege.CompensationApprove]);
    for (const p of [Privilege.TestimonialApprove, Privilege.SegmentRead]) expect(ROLE_PRIVILEGES.MarketingManager.has(p)).toBe(true);
    for (const p of [Privilege.GdprExport, Privilege.GdprErase, Privilege.SensitiveRead, Privilege.AuditRead]) {
      expect(ROLE_PRIVILEGES.DataPrivacyOfficer.has(p), p).toBe(true);
    }
    expect(ROLE_PRIVILEGES.LoyaltyManager.has(Privilege.LoyaltyManage)).toBe(true);
    expect([...ROLE_PRIVILEGES.DataAnalyst]).toEqual([Privilege.AggregateRead]);
    expect([...ROLE_PRIVILEGES.LoungeDevice]).toEqual([Privilege.QrValidate]);
    // Only the data privacy officer (and Admin) reads sensitive fields, exports, erases or reads the audit trail.
    for (const p of [Privilege.SensitiveRead, Privilege.GdprExport, Privilege.GdprErase, Privilege.AuditRead]) {
      expect(ROLES.filter((r) => ROLE_PRIVILEGES[r].has(p)).sort(), p).toEqual(['Admin', 'DataPrivacyOfficer']);
      expect(MFA_PRIVILEGES.has(p), `${p} needs MFA`).toBe(true);
    }
    // Nobody but a door device validates QR codes, not even Admin.
    expect(ROLES.filter((r) => ROLE_PRIVILEGES[r].has(Privilege.QrValidate))).toEqual(['LoungeDevice']);
  });
});

describe('every operation through the gateway, for every role', () => {
  let platform: TestPlatform;
  let schema: GraphQLSchema;
  const tokens = new Map<Role, string>();
  const customerId = '6f1d7c59-3c55-4b8e-9d9f-2f0f6b1c8a41';
  const loungeCode = 'MAD-DALI';

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { RATE_LIMIT_REQUESTS: '0' } });
    for (const role of ROLES) {
      tokens.set(role, await platform.token(role, { mfa: true, ...(role === 'Customer' ? { customerId } : {}), ...(role === 'LoungeDevice' ? { loungeCode } : {}) }));
    }
    const introspection = await post<IntrospectionQuery>(platform.url, getIntrospectionQuery(), {}, bearer(tokens.get('Admin')!));
    expect(introspection.errors).toBeUndefined();
    schema = buildClientSchema(introspection.data!);
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
  }, 60_000);

  it('has an access rule for every Query and Mutation of the composed supergraph, and none for a field that is gone', () => {
    for (const type of ['Query', 'Mutation'] as const) {
      const fields = rootFields(schema, type);
      expect(fields.filter((f) => !OPERATION_ACCESS[type][f]), `${type} fields without a rule`).toEqual([]);
      expect(Object.keys(OPERATION_ACCESS[type]).filter((f) => !fields.includes(f)), `${type} rules for no field`).toEqual([]);
    }
  });

  async function matrix(type: 'Query' | 'Mutation') {
    const calls: { role: Role; field: string }[] = [];
    for (const field of rootFields(schema, type)) for (const role of ROLES) calls.push({ role, field });
    const mismatches: string[] = [];
    const unexpected: string[] = [];
    let refused = 0;
    let i = 0;
    const worker = async () => {
      for (;;) {
        const call = calls[i++];
        if (!call) return;
        const { role, field } = call;
        const operation = operationFor(schema, type, field, {
          override: (pathTo, typeName) => {
            // A Customer token asks about itself; a door device about its own lounge.
            if (role === 'Customer' && typeName === 'ID') return customerId;
            if (role === 'LoungeDevice' && /^(code|loungeCode)$/.test(pathTo.at(-1)!)) return loungeCode;
            return undefined;
          },
        });
        const response = await post(platform.url, operation.query, operation.variables, bearer(tokens.get(role)!));
        const codes = (response.errors ?? []).map((e) => e.extensions?.code as string);
        const forbidden = codes.includes('FORBIDDEN');
        const allowed = operationAllowed(OPERATION_ACCESS[type][field]!, [role], true);
        if (forbidden) refused++;
        if (forbidden === allowed) {
          mismatches.push(`${role} ${type}.${field}: expected ${allowed ? 'not FORBIDDEN' : 'FORBIDDEN'}, got ${JSON.stringify(response.errors?.map((e) => [e.extensions?.code, e.message]) ?? 'success')}`);
        }
        if (codes.some((c) => c === 'INTERNAL_SERVER_ERROR' || c === 'GRAPHQL_VALIDATION_FAILED' || c === undefined)) {
          unexpected.push(`${role} ${type}.${field}: ${JSON.stringify(response.errors)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    return { calls: calls.length, refused, mismatches, unexpected };
  }

  it('refuses every mutation with FORBIDDEN exactly when the role lacks its privilege', async () => {
    const result = await matrix('Mutation');
    expect(result.calls).toBeGreaterThan(60 * ROLES.length);
    // Most roles hold few privileges: most calls are refused, and many are not.
    expect(result.refused).toBeGreaterThan(result.calls / 2);
    expect(result.refused).toBeLessThan(result.calls);
    expect(result.mismatches).toEqual([]);
    expect(result.unexpected).toEqual([]);
  }, 240_000);

  it('shows the sensitive fields in clear exactly to the sensitive-read privilege (with MFA) and the customer itself, masked to other readers', async () => {
    const created = await post(platform.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Matrix', lastName: 'Sensitive', primaryEmail: `matrix.${Date.now()}@example.com`, dateOfBirth: '1979-05-17', passport: { number: 'XQ7654321', country: 'ES' } },
    }, bearer(tokens.get('Admin')!));
    expect(created.errors).toBeUndefined();
    const id = created.data.createCustomer.id as string;
    const READ = 'query($id: ID!) { customer(id: $id) { id dateOfBirth passport { number } maskedFields } }';
    const seen: Record<string, string> = {};
    for (const role of ROLES) {
      const token = role === 'Customer' ? await platform.token('Customer', { customerId: id, mfa: true }) : tokens.get(role)!;
      const response = await post(platform.url, READ, { id }, bearer(token));
      const code = response.errors?.[0]?.extensions?.code;
      const customer = response.data?.customer;
      seen[role] = code ? `refused ${code}` : customer?.dateOfBirth === '1979-05-17' && customer?.passport?.number === 'XQ7654321' && customer.maskedFields.length === 0
        ? 'clear'
        : customer && customer.dateOfBirth === null && customer.passport?.number === '*****4321' && [...customer.maskedFields].sort().join() === 'dateOfBirth,passport.number'
          ? 'masked'
          : `unexpected ${JSON.stringify(response)}`;
    }
    const expected = Object.fromEntries(
      ROLES.map((role) => [
        role,
        role === 'Customer' || ROLE_PRIVILEGES[role].has(Privilege.SensitiveRead)
          ? 'clear'
          : ROLE_PRIVILEGES[role].has(Privilege.CustomerRead)
            ? 'masked'
            : 'refused FORBIDDEN',
      ]),
    );
    expect(seen).toEqual(expected);
    // Without MFA the privilege does not open them.
    const noMfa = await post(platform.url, READ, { id }, bearer(await platform.token('DataPrivacyOfficer')));
    expect(noMfa.data?.customer?.dateOfBirth).toBeNull();
    expect(noMfa.data?.customer?.passport?.number).toBe('*****4321');
  }, 120_000);

  it('refuses every query with FORBIDDEN exactly when the role lacks its privilege', async () => {
    const result = await matrix('Query');
    expect(result.calls).toBeGreaterThan(30 * ROLES.length);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.refused).toBeLessThan(result.calls);
    expect(result.mismatches).toEqual([]);
    expect(result.unexpected).toEqual([]);
  }, 240_000);
});
