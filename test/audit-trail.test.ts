import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

const TRAIL = /* GraphQL */ `
  query Trail($customerId: ID!, $first: Int, $after: String) {
    auditTrail(customerId: $customerId) {
      customerId
      customerRecords(first: $first, after: $after) { edges { cursor node { ...R } } pageInfo { hasNextPage endCursor } }
      interactionRecords { edges { node { ...R } } }
      caseRecords { edges { node { ...R } } }
      invitationRecords { edges { node { ...R } } }
      loyaltyRecords { edges { node { ...R } } }
    }
  }
  fragment R on AuditRecord {
    id subgraph occurredAt action outcome subject roles fields customerIds targetType targetId requestId clientAddress
  }
`;

interface AuditRecordView {
  id: string;
  subgraph: string;
  occurredAt: string;
  action: string;
  outcome: string;
  subject: string;
  roles: string[];
  fields: string[];
  customerIds: string[];
  targetType: string | null;
  targetId: string | null;
  requestId: string;
  clientAddress: string | null;
}

const LOCALHOST = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe('the audit trail through the gateway', () => {
  let platform: TestPlatform;
  let admin: Record<string, string>;
  let dpo: Record<string, string>;
  let customerId: string;
  const requestIds = { create: `audit-create-${randomUUID()}`, enrol: `audit-enrol-${randomUUID()}`, open: `audit-open-${randomUUID()}`, log: `audit-log-${randomUUID()}`, refused: `audit-refused-${randomUUID()}`, read: `audit-read-${randomUUID()}` };

  /** Admin's calls, each with its own request id and a forged x-forwarded-for the gateway must not trust. */
  const asAdmin = (requestId: string) => ({ ...admin, 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.9' });

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { RATE_LIMIT_REQUESTS: '0' } });
    admin = bearer(await platform.token('Admin', { mfa: true, subject: 'staff:ana.admin' }));
    dpo = bearer(await platform.token('DataPrivacyOfficer', { mfa: true, subject: 'staff:dora.dpo' }));

    const created = await post(platform.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Lucía', lastName: 'Serrano', primaryEmail: `lucia.${randomUUID().slice(0, 8)}@example.com`, dateOfBirth: '1984-03-09' },
    }, asAdmin(requestIds.create));
    expect(created.errors).toBeUndefined();
    customerId = created.data.createCustomer.id;

    const enrolled = await post(platform.url, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { id } }', { input: { customerId, tier: 'ORO' } }, asAdmin(requestIds.enrol));
    expect(enrolled.errors).toBeUndefined();
    const opened = await post(platform.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
      input: { customerId, subject: 'Lost bag on IB3166', description: 'The bag did not arrive in Madrid.', category: 'BAGGAGE', priority: 'HIGH' },
    }, asAdmin(requestIds.open));
    expect(opened.errors).toBeUndefined();
    const logged = await post(platform.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId, channel: 'CALL', direction: 'INBOUND', summary: 'Asked about the lost bag again', durationSeconds: 120 },
    }, asAdmin(requestIds.log));
    expect(logged.errors).toBeUndefined();

    // A refused attempt is recorded too.
    const viewer = bearer(await platform.token('Viewer', { mfa: true, subject: 'staff:vic.viewer' }));
    const refused = await post(platform.url, 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }', { id: customerId, input: { lastName: 'Other' } }, { ...viewer, 'x-request-id': requestIds.refused });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // A sensitive read in clear by the data privacy officer.
    const read = await post(platform.url, 'query($id: ID!) { customer(id: $id) { id dateOfBirth } }', { id: customerId }, { ...dpo, 'x-request-id': requestIds.read });
    expect(read.errors).toBeUndefined();
    expect(read.data.customer.dateOfBirth).toBe('1984-03-09');
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
  }, 60_000);

  it("shows the data privacy officer one customer's mutations, refusals and sensitive reads across the subgraphs", async () => {
    const trail = await post(platform.url, TRAIL, { customerId }, dpo);
    expect(trail.errors).toBeUndefined();
    const nodes = (part: string): AuditRecordView[] => trail.data.auditTrail[part].edges.map((e: { node: AuditRecordView }) => e.node);
    const customerRecords = nodes('customerRecords');

    const created = customerRecords.find((r) => r.action === 'createCustomer')!;
    expect(created).toMatchObject({ subgraph: 'customer', outcome: 'ok', subject: 'staff:ana.admin', roles: ['Admin'], requestId: requestIds.create, targetType: 'Customer', targetId: customerId, customerIds: [customerId] });
    expect(created.fields).toEqual(expect.arrayContaining(['input', 'input.firstName', 'input.lastName', 'input.primaryEmail', 'input.dateOfBirth']));
    // Names only: no value given in the mutation is in its record.
    expect(JSON.stringify(created)).not.toMatch(/Lucía|Serrano|1984|example\.com/);
    // The gateway appended the address it saw; a forged header from the client is not taken.
    expect(created.clientAddress).toMatch(LOCALHOST);

    expect(customerRecords.find((r) => r.action === 'updateCustomer')).toMatchObject({ outcome: 'FORBIDDEN', subject: 'staff:vic.viewer', roles: ['Viewer'], requestId: requestIds.refused, fields: expect.arrayContaining(['id', 'input.lastName']) });
    expect(customerRecords.find((r) => r.action === 'sensitive-read')).toMatchObject({ outcome: 'ok', subject: 'staff:dora.dpo', roles: ['DataPrivacyOfficer'], requestId: requestIds.read, fields: ['dateOfBirth'], customerIds: [customerId] });
    // Newest first.
    const times = customerRecords.map((r) => Date.parse(r.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    expect(nodes('loyaltyRecords').find((r) => r.action === 'enrollLoyaltyMember')).toMatchObject({ subgraph: 'loyalty', outcome: 'ok', subject: 'staff:ana.admin', requestId: requestIds.enrol, fields: expect.arrayContaining(['input.customerId', 'input.tier']), clientAddress: expect.stringMatching(LOCALHOST) });
    expect(nodes('caseRecords').find((r) => r.action === 'openCase')).toMatchObject({ subgraph: 'case', outcome: 'ok', requestId: requestIds.open, targetType: 'Case', fields: expect.arrayContaining(['input.subject', 'input.description']) });
    expect(nodes('interactionRecords').find((r) => r.action === 'logInteraction')).toMatchObject({ subgraph: 'interaction', outcome: 'ok', requestId: requestIds.log, customerIds: [customerId] });
  }, 60_000);

  it('audits reading the trail, and pages it newest first with cursors', async () => {
    const first = await post(platform.url, TRAIL, { customerId, first: 2 }, { ...dpo, 'x-request-id': `audit-trail-${randomUUID()}` });
    expect(first.errors).toBeUndefined();
    const page1 = first.data.auditTrail.customerRecords;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const next = await post(platform.url, TRAIL, { customerId, first: 2, after: page1.pageInfo.endCursor }, dpo);
    const page2 = next.data.auditTrail.customerRecords;
    const ids1 = page1.edges.map((e: { node: AuditRecordView }) => e.node.id);
    const ids2 = page2.edges.map((e: { node: AuditRecordView }) => e.node.id);
    expect(ids2.length).toBeGreaterThan(0);
    expect(ids2.filter((id: string) => ids1.includes(id))).toEqual([]);
    expect(Date.parse(page2.edges[0].node.occurredAt)).toBeLessThanOrEqual(Date.parse(page1.edges[1].node.occurredAt));

    // Every earlier read of the trail is in it, in every subgraph.
    const again = await post(platform.url, TRAIL, { customerId, first: 50 }, dpo);
    for (const part of ['customerRecords', 'interactionRecords', 'caseRecords', 'invitationRecords', 'loyaltyRecords']) {
      const reads = again.data.auditTrail[part].edges.filter((e: { node: AuditRecordView }) => e.node.action === 'audit-read');
      expect(reads.length, part).toBeGreaterThanOrEqual(1);
      expect(reads[0].node).toMatchObject({ subject: 'staff:dora.dpo', outcome: 'ok', fields: [part], targetType: 'AuditTrail', targetId: customerId });
    }
    const bad = await post(platform.url, TRAIL, { customerId, after: 'not-a-cursor' }, dpo);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  }, 60_000);

  it('refuses everyone but the data privacy officer and Admin, and asks for MFA', async () => {
    for (const role of ['Viewer', 'CustomerManager', 'SupportAgent', 'DataAnalyst'] as const) {
      const denied = await post(platform.url, TRAIL, { customerId }, bearer(await platform.token(role, { mfa: true })));
      expect(denied.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
      expect(denied.data?.auditTrail ?? null).toBeNull();
    }
    const self = await post(platform.url, TRAIL, { customerId }, bearer(await platform.token('Customer', { customerId, mfa: true })));
    expect(self.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const noMfa = await post(platform.url, TRAIL, { customerId }, bearer(await platform.token('DataPrivacyOfficer')));
    expect(noMfa.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(noMfa.errors?.[0]?.message).toMatch(/multi-factor/);
    const adminTrail = await post(platform.url, TRAIL, { customerId }, admin);
    expect(adminTrail.errors).toBeUndefined();
  }, 60_000);

  it('records door scans without delaying them, through the write-behind buffer', async () => {
    const invitation = await invitationFor(platform.url, admin, customerId, { loungeCode: 'MAD-VELAZQUEZ', guests: 0 });
    const device = bearer(await platform.token('LoungeDevice', { loungeCode: 'MAD-VELAZQUEZ' }));
    const scanned = await post(platform.url, 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome } }', { input: { payload: invitation.qrCode.payload } }, device);
    expect(scanned.errors).toBeUndefined();
    const record = await eventually(async () => {
      const trail = await post(platform.url, TRAIL, { customerId }, dpo);
      const scan = trail.data.auditTrail.invitationRecords.edges.map((e: { node: AuditRecordView }) => e.node).find((r: AuditRecordView) => r.action === 'validateQr');
      expect(scan).toBeDefined();
      return scan as AuditRecordView;
    });
    expect(record).toMatchObject({ outcome: 'ok', roles: ['LoungeDevice'], fields: ['input', 'input.payload'], customerIds: [customerId], targetId: invitation.id });
    // The QR payload is a credential: only its field name is recorded.
    expect(JSON.stringify(record)).not.toContain(invitation.qrCode.payload);
  }, 60_000);

  it('is append-only in every subgraph: UPDATE and DELETE fail', async () => {
    for (const handle of platform.platform.databases) {
      const table = sql.raw(`"${handle.schema}".audit_log`);
      const [{ n }] = (await handle.db.execute(sql`select count(*)::int as n from ${table}`).then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows))) as { n: number }[];
      expect(n, handle.schema).toBeGreaterThan(0);
      for (const statement of [sql`update ${table} set action = 'tampered'`, sql`delete from ${table}`, sql`truncate ${table}`]) {
        const failure = await handle.db.execute(statement).then(() => null, (error: Error & { cause?: Error }) => error);
        expect(failure, handle.schema).not.toBeNull();
        // Drizzle wraps the database's error: the trigger's message is the cause.
        expect(`${failure!.message} ${failure!.cause?.message ?? ''}`, handle.schema).toMatch(/append-only/);
      }
      const [{ after }] = (await handle.db.execute(sql`select count(*)::int as after from ${table}`).then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows))) as { after: number }[];
      expect(after, handle.schema).toBeGreaterThanOrEqual(n);
    }
  }, 60_000);
});
