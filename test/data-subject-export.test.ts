import { randomUUID } from 'node:crypto';
import { resultRows } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, enrolledMember, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

/**
 * GDPR data-subject export through the gateway, with events between the subgraphs on the real NATS server: the
 * request fans out, every subgraph stores its section and reports it ready, the customer subgraph tracks progress,
 * and one query reads the whole document.
 */
const natsUrl = inject('cmpNatsUrl');
let t: TestPlatform;
let admin: Record<string, string>;
let dpo: Record<string, string>;

beforeAll(async () => {
  t = await startTestPlatform({ env: { NATS_URL: natsUrl, EVENTS_NAMESPACE: `x${randomUUID().slice(0, 8)}` } });
  admin = bearer(await t.token('Admin', { mfa: true }));
  dpo = bearer(await t.token('DataPrivacyOfficer', { mfa: true, subject: 'dpo-ana' }));
}, 300_000);
afterAll(() => t?.close());

const dbOf = (schema: string) => t.platform.databases.find((d) => d.schema === schema)!.db;

const REQUEST = 'mutation($customerId: ID!) { requestDataSubjectExport(customerId: $customerId) { id customerId status sectionsReady sectionsTotal requestedBy } }';
const PROGRESS = 'query($id: ID!) { dataSubjectExport(id: $id) { id status sectionsReady sectionsTotal readySections failures requestedAt startedAt completedAt expiresAt } }';
const DOCUMENT = `query($id: ID!) {
  dataSubjectExport(id: $id) { id customerId status customerData interactionData caseData invitationData loyaltyData }
}`;

async function ok(query: string, variables: Record<string, unknown>, headers = admin) {
  const result = await post(t.url, query, variables, headers);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** A customer with records in every subgraph, and a duplicate merged into it; returns the ids. */
async function customerEverywhere() {
  const target = await enrolledMember(t.url, admin, 'ORO', { firstName: 'Lucía', lastName: 'Exportada' });
  const duplicate = await enrolledMember(t.url, admin, 'CLASICA', { firstName: 'Lucia', lastName: 'Exportada' });
  await ok('mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }', {
    id: target,
    input: {
      passport: { number: 'XK1234567', country: 'ES', expiresOn: '2031-05-01' },
      dateOfBirth: '1984-03-09',
      billingAddress: { street: 'Calle de Velázquez 130', city: 'Madrid', zipCode: '28006', country: 'ES' },
    },
  });
  await ok('mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }', {
    input: { customerId: target, purpose: 'MARKETING_EMAIL', granted: true, source: 'WEB' },
  });
  await ok('mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }', {
    input: {
      customerId: duplicate,
      orderReference: `ORD-${randomUUID().slice(0, 8)}`,
      channel: 'INFLIGHT',
      currency: 'EUR',
      items: [{ sku: 'JAMON-01', description: 'Jamón ibérico', quantity: 1, unitAmountMinor: 2450 }],
      purchasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    },
  });
  await ok('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
    input: { customerId: target, channel: 'CALL', direction: 'INBOUND', durationSeconds: 240, summary: 'Asked about the export of her data' },
  });
  const opened = await ok('mutation($input: OpenCaseInput!) { openCase(input: $input) { id caseNumber } }', {
    input: { customerId: duplicate, subject: 'Suitcase damaged on IB6275', description: 'The handle of the suitcase was broken at arrival in Madrid', category: 'BAGGAGE' },
  });
  const invitation = await invitationFor(t.url, admin, target, { loungeCode: 'MAD-VELAZQUEZ', guests: 1 });
  await ok('mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { id } }', { input: { sourceCustomerId: duplicate, targetCustomerId: target } });
  // The merge reaches every subgraph by event: the duplicate's case is the target's before the export is asked for.
  await eventually(async () => {
    const cases = (await ok('query($id: ID!) { customer(id: $id) { cases { id } } }', { id: target })).customer.cases;
    expect(cases.map((c: { id: string }) => c.id)).toEqual([opened.openCase.id]);
  }, 20_000);
  return { target, duplicate, caseNumber: opened.openCase.caseNumber as string, invitationId: invitation.id };
}

describe('GDPR data-subject export', () => {
  it('gathers everything every subgraph holds on the customer into one document, with progress to COMPLETED', async () => {
    const { target, duplicate, caseNumber, invitationId } = await customerEverywhere();

    const requested = (await ok(REQUEST, { customerId: target }, dpo)).requestDataSubjectExport;
    expect(requested).toMatchObject({ customerId: target, sectionsTotal: 5, requestedBy: 'dpo-ana' });
    expect(['PENDING', 'RUNNING', 'COMPLETED']).toContain(requested.status);

    const done = await eventually(async () => {
      const progress = (await ok(PROGRESS, { id: requested.id }, dpo)).dataSubjectExport;
      expect(progress.status).toBe('COMPLETED');
      return progress;
    }, 30_000);
    expect(done).toMatchObject({ sectionsReady: 5, sectionsTotal: 5, failures: [] });
    expect(done.readySections).toEqual(['case', 'customer', 'interaction', 'invitation', 'loyalty']);
    expect(Date.parse(done.completedAt)).toBeGreaterThanOrEqual(Date.parse(done.requestedAt));
    expect(Date.parse(done.expiresAt) - Date.parse(done.requestedAt)).toBe(7 * 24 * 3_600_000);

    const document = (await ok(DOCUMENT, { id: requested.id }, dpo)).dataSubjectExport;
    // Customer: the record and the merged duplicate, sensitive fields in clear, consents, the duplicate's purchase.
    const people = document.customerData.customers as Record<string, unknown>[];
    expect(people.map((c) => c.id).sort()).toEqual([target, duplicate].sort());
    const person = people.find((c) => c.id === target)!;
    expect(person).toMatchObject({ firstName: 'Lucía', lastName: 'Exportada', passportNumber: 'XK1234567', dateOfBirth: '1984-03-09', billingStreet: 'Calle de Velázquez 130', billingZipCode: '28006' });
    expect(person).not.toHaveProperty('passportNumberEnc');
    expect(person).not.toHaveProperty('searchText');
    expect(people.find((c) => c.id === duplicate)).toMatchObject({ mergedIntoId: target });
    expect(document.customerData.consents).toEqual([expect.objectContaining({ purpose: 'MARKETING_EMAIL', granted: true, source: 'WEB' })]);
    expect(document.customerData.purchases).toEqual([expect.objectContaining({ channel: 'INFLIGHT', amountMinor: 2450 })]);
    expect(document.customerData.purchases[0].items[0].description).toBe('Jamón ibérico');
    // Interaction: the call and the timeline; the marketing consent it learned.
    expect(document.interactionData.interactions).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'CALL', summary: 'Asked about the export of her data', durationSeconds: 240 })]));
    expect(document.interactionData.timeline.length).toBeGreaterThan(0);
    expect(document.interactionData.marketingConsents).toEqual([expect.objectContaining({ purpose: 'MARKETING_EMAIL', granted: true })]);
    // Case: the duplicate's complaint, moved to the target by the merge.
    expect(document.caseData.cases).toEqual([expect.objectContaining({ caseNumber, customerId: target, subject: 'Suitcase damaged on IB6275' })]);
    expect(document.caseData.caseHistory.length).toBeGreaterThan(0);
    // The audit trail of the customer's data, without the staff workstation's address.
    const trail = document.caseData.auditTrail as Record<string, unknown>[];
    expect(trail).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'openCase', outcome: 'ok' })]));
    for (const record of trail) expect(record).not.toHaveProperty('clientAddress');
    // Invitation: the lounge invitation.
    expect(document.invitationData.invitations).toEqual([expect.objectContaining({ id: invitationId, loungeCode: 'MAD-VELAZQUEZ', guests: 1 })]);
    // Loyalty: both accounts (the duplicate's was combined into the target's), the target's at ORO.
    const accounts = document.loyaltyData.accounts as { customerId: string; tier: string }[];
    expect(accounts.find((a) => a.customerId === target)?.tier).toBe('ORO');
    expect(document.loyaltyData.tierHistory.length).toBeGreaterThan(0);

    // Reading the sections is audited in each subgraph.
    const audited = resultRows<{ action: string; subject: string }>(
      await dbOf('case').execute(sql`select action, subject from "case".audit_log where target_id = ${requested.id}`),
    );
    expect(audited).toEqual(expect.arrayContaining([{ action: 'data-export-read', subject: 'dpo-ana' }]));
  }, 120_000);

  it('lets a customer export its own data but no one else refused by the rules', async () => {
    const own = await enrolledMember(t.url, admin, 'PLATA', { firstName: 'Pablo', lastName: 'Propio' });
    const other = await enrolledMember(t.url, admin, 'PLATA', { firstName: 'Otra', lastName: 'Persona' });

    const support = await post(t.url, REQUEST, { customerId: own }, bearer(await t.token('SupportAgent')));
    expect(support.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(support.errors?.[0]?.message).toMatch(/gdpr:export/);

    const noMfa = await post(t.url, REQUEST, { customerId: own }, bearer(await t.token('DataPrivacyOfficer')));
    expect(noMfa.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(noMfa.errors?.[0]?.message).toMatch(/multi-factor authentication/);

    const self = bearer(await t.token('Customer', { customerId: own }));
    const stranger = await post(t.url, REQUEST, { customerId: other }, self);
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const mine = (await ok(REQUEST, { customerId: own }, self)).requestDataSubjectExport;
    // Asking again while it runs answers the same export.
    const again = (await ok(REQUEST, { customerId: own }, self)).requestDataSubjectExport;
    if (again.status !== 'COMPLETED') expect(again.id).toBe(mine.id);
    await eventually(async () => expect((await ok(PROGRESS, { id: mine.id }, self)).dataSubjectExport.status).toBe('COMPLETED'), 30_000);
    const document = (await ok(DOCUMENT, { id: mine.id }, self)).dataSubjectExport;
    expect(document.customerData.customers).toEqual([expect.objectContaining({ id: own, lastName: 'Propio' })]);
    expect(document.loyaltyData.accounts).toEqual([expect.objectContaining({ customerId: own, tier: 'PLATA' })]);

    // Another customer's token learns nothing of it; a SupportAgent is refused.
    const peek = await post(t.url, DOCUMENT, { id: mine.id }, bearer(await t.token('Customer', { customerId: other })));
    expect(peek.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(peek.data?.dataSubjectExport ?? null).toBeNull();
    const agent = await post(t.url, PROGRESS, { id: mine.id }, bearer(await t.token('SupportAgent')));
    expect(agent.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const missing = await post(t.url, REQUEST, { customerId: randomUUID() }, dpo);
    expect(missing.errors?.[0]?.extensions?.code).toBe('CUST-001');
    const bad = await post(t.url, REQUEST, { customerId: 'not-a-uuid' }, dpo);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
  }, 120_000);

  it('is deleted in every subgraph once expired, and reads as null', async () => {
    const id = await enrolledMember(t.url, admin, 'PLATA', { firstName: 'Elena', lastName: 'Caducada' });
    const requested = (await ok(REQUEST, { customerId: id }, dpo)).requestDataSubjectExport;
    await eventually(async () => expect((await ok(PROGRESS, { id: requested.id }, dpo)).dataSubjectExport.status).toBe('COMPLETED'), 30_000);
    const sections = async () =>
      Promise.all(
        ['customer', 'interaction', 'case', 'invitation', 'loyalty'].map(async (schema) =>
          resultRows<{ n: number }>(await dbOf(schema).execute(sql`select count(*)::int as n from ${sql.identifier(schema)}.data_export_sections where export_id = ${requested.id}`))[0]!.n,
        ),
      );
    expect(await sections()).toEqual([1, 1, 1, 1, 1]);

    // Seven days on (the clock of the request moved back instead).
    await dbOf('customer').execute(sql`update customer.data_subject_exports set expires_at = now() - interval '1 second' where id = ${requested.id}`);
    const expired = await post(t.url, DOCUMENT, { id: requested.id }, dpo);
    expect(expired.errors).toBeUndefined();
    expect(expired.data.dataSubjectExport).toBeNull();
    await eventually(async () => expect(await sections()).toEqual([0, 0, 0, 0, 0]), 20_000);
  }, 120_000);
});
