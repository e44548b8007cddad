import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CUSTOMER_ERASURE_REQUESTED, resultRows, type CloudEvent, type Database } from '@cmp/platform';
import { deleteEventStreams } from '@cmp/platform/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

const natsUrl = inject('cmpNatsUrl');
const namespace = `g${randomUUID().slice(0, 8)}`;

let t: TestPlatform;
let admin: Record<string, string>;
let dpo: Record<string, string>;

beforeAll(async () => {
  // The whole platform, its events travelling over NATS JetStream as in production.
  t = await startTestPlatform({ env: { NATS_URL: natsUrl, EVENTS_NAMESPACE: namespace } });
  admin = bearer(await t.token('Admin'));
  dpo = bearer(await t.token('DataPrivacyOfficer', { mfa: true }));
}, 300_000);
afterAll(async () => {
  await t?.close();
  await deleteEventStreams(natsUrl, namespace);
});

const databaseOf = (schema: string): Database => t.platform.databases.find((d) => d.schema === schema)!.db;
const rows = async <T = Record<string, unknown>>(schema: string, query: ReturnType<typeof sql>) => resultRows<T>(await databaseOf(schema).execute(query));

async function ok(query: string, variables: Record<string, unknown>, headers = admin) {
  const result = await post(t.url, query, variables, headers);
  expect(result.errors, `${query.slice(0, 60)}: ${JSON.stringify(result.errors)}`).toBeUndefined();
  return result.data;
}

/** A customer with a distinctive identity and records in every subgraph, made through the gateway's mutations. */
async function customerEverywhere() {
  const tag = randomUUID().slice(0, 6);
  const person = {
    firstName: `Zebulonix${tag}`,
    lastName: `Quarterbrook${tag}`,
    email: `zebulonix.${tag}@example.com`,
    // E.164 once normalised; the digits are what the scan looks for.
    phone: `+34 612 ${tag.replace(/\D/g, '').padEnd(3, '7').slice(0, 3)} 987`,
    passport: `ZQ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
  };
  const fullName = `${person.firstName} ${person.lastName}`;
  const created = await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id primaryPhone } }', {
    input: {
      type: 'INDIVIDUAL',
      firstName: person.firstName,
      lastName: person.lastName,
      primaryEmail: person.email,
      primaryPhone: person.phone,
      dateOfBirth: '1984-03-09',
      passport: { number: person.passport, country: 'ES', expiresOn: '2031-01-31' },
      billingAddress: { street: `Calle ${person.lastName} 7`, city: 'Madrid', zipCode: '28013', country: 'ES' },
    },
  });
  const id = created.createCustomer.id as string;
  const phoneE164 = created.createCustomer.primaryPhone as string;
  await ok('mutation($id: ID!, $input: ContactInput!) { addContact(customerId: $id, input: $input) { id } }', {
    id,
    input: { firstName: person.firstName, lastName: person.lastName, email: `office.${person.email}`, phone: person.phone, jobTitle: 'Traveller' },
  });
  await ok('mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }', {
    input: {
      customerId: id,
      orderReference: `ORD-${tag}`,
      channel: 'WEB',
      currency: 'EUR',
      items: [{ sku: 'SEAT', description: 'Extra legroom', quantity: 1, unitAmountMinor: 4_500 }],
      purchasedAt: new Date(Date.now() - 86_400_000).toISOString(),
    },
  });

  // Interaction: a call, an e-mail, an SMS, a meeting, a follow-up task and a testimonial.
  await ok('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
    input: {
      customerId: id,
      channel: 'CALL',
      direction: 'INBOUND',
      durationSeconds: 240,
      summary: `${fullName} called about passport ${person.passport}`,
      notes: `Call back on ${person.phone} or ${person.email}`,
    },
  });
  const email = await ok('mutation($input: SendEmailInput!) { sendEmail(input: $input) { id } }', {
    input: { customerId: id, to: person.email, toName: fullName, subject: `Your trip, ${person.firstName}`, text: `Dear ${fullName}, your passport ${person.passport} is on file.` },
  });
  const sms = await ok('mutation($input: SendSmsInput!) { sendSms(input: $input) { id } }', {
    input: { customerId: id, to: person.phone, body: `Hola ${person.firstName}, your gate changed.` },
  });
  await ok('mutation($input: ScheduleMeetingInput!) { scheduleMeeting(input: $input) { id } }', {
    input: {
      customerId: id,
      title: `Lounge visit with ${fullName}`,
      startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 2 * 86_400_000 + 3_600_000).toISOString(),
      inPerson: true,
      location: 'MAD T4S',
      attendees: [{ name: fullName, email: person.email }],
    },
  });
  await ok('mutation($input: CreateFollowUpTaskInput!) { createFollowUpTask(input: $input) { id } }', {
    input: { customerId: id, title: `Call ${fullName} back`, notes: `on ${person.phone}`, dueAt: new Date(Date.now() + 86_400_000).toISOString(), priority: 'HIGH' },
  });
  const testimonial = await ok('mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { id } }', {
    input: { customerId: id, kind: 'TESTIMONIAL', content: `Wonderful lounge, said ${fullName}`, rating: 5, authorName: fullName, consentToPublish: true },
  });
  await ok('mutation($id: ID!) { approveTestimonial(id: $id) { id } }', { id: testimonial.submitFeedback.id });

  // Case: a complaint with a comment, resolved with compensation, and an EU 261 claim.
  const opened = await ok('mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
    input: { customerId: id, subject: `Delay complaint from ${fullName}`, description: `Reach me at ${person.email}, passport ${person.passport}`, category: 'FLIGHT_DISRUPTION' },
  });
  const caseId = opened.openCase.id as string;
  await ok('mutation($input: AddCaseCommentInput!) { addCaseComment(input: $input) { id } }', {
    input: { caseId, body: `${person.firstName} phoned from ${person.phone}` },
  });
  // A file on the case, named after the person, uploaded through its signed link.
  const receipt = Buffer.from(`Receipt for ${fullName}, passport ${person.passport}`);
  const upload = (await ok('mutation($input: CaseAttachmentUploadInput!) { requestCaseAttachmentUpload(input: $input) { uploadUrl attachment { id } } }', {
    input: { caseId, fileName: `${person.lastName}-receipt.txt`, contentType: 'text/plain', sizeBytes: receipt.length },
  })).requestCaseAttachmentUpload;
  expect((await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: receipt })).status).toBe(200);
  await ok('mutation($id: ID!) { completeCaseAttachment(attachmentId: $id) { id } }', { id: upload.attachment.id });
  const attachmentFile = path.join(t.settings.attachments.directory, caseId, upload.attachment.id as string);
  expect(existsSync(attachmentFile)).toBe(true);
  await ok('mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { id } }', {
    input: { caseId, status: 'IN_PROGRESS', note: `Working on it for ${person.lastName}` },
  });
  const departure = new Date(Date.now() - 3 * 86_400_000);
  const claim = await ok('mutation($caseId: ID!, $input: CompensationInput!) { fileCompensationClaim(caseId: $caseId, input: $input) { id amount { amountMinor } } }', {
    caseId,
    input: {
      kind: 'DELAY',
      origin: 'MAD',
      destination: 'JFK',
      operatingCarrier: 'IB',
      scheduledDeparture: departure.toISOString(),
      scheduledArrival: new Date(departure.getTime() + 8 * 3_600_000).toISOString(),
      actualArrival: new Date(departure.getTime() + 13 * 3_600_000).toISOString(),
    },
  });
  await ok('mutation($input: ResolveCaseInput!) { resolveCase(input: $input) { id } }', {
    input: {
      caseId,
      resolution: `Compensation paid to ${fullName} for the delay`,
      compensationOffered: { amountMinor: 25_000, currency: 'EUR' },
      customerSatisfied: false,
    },
  });

  // Invitation and loyalty.
  const enrolled = await ok('mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { id } }', { input: { customerId: id, tier: 'ORO' } });
  const invitation = await invitationFor(t.url, admin, id, { loungeCode: 'MAD-VELAZQUEZ', guests: 1 });
  await ok('mutation($id: ID!, $reason: String!) { revokeInvitation(id: $id, reason: $reason) { id } }', { id: invitation.id, reason: `${person.firstName} changed flights` });
  await ok('mutation($input: AccruePointsInput!) { accruePoints(input: $input) { account { aviosBalance } } }', {
    input: { accountId: enrolled.enrollLoyaltyMember.id, externalId: randomUUID(), source: 'FLIGHT', avios: 7_000, elitePoints: 300, flights: 1, description: `IB6251 for ${fullName}` },
  });

  // Everything has reached every subgraph before the erasure (messages sent, timeline projected, follow-up opened).
  await eventually(async () => {
    const messages = await rows<{ status: string }>('interaction', sql`select status from interaction.outbound_messages where customer_id = ${id}`);
    expect(messages.length).toBe(3); // the e-mail, the SMS and the meeting's invitation
    expect(messages.every((m) => m.status === 'SENT' || m.status === 'DELIVERED')).toBe(true);
    const timeline = await rows<{ type: string }>('interaction', sql`select type from interaction.timeline_entries where customer_id = ${id}`);
    expect(timeline.length).toBeGreaterThanOrEqual(10);
    const followUps = await rows('interaction', sql`select 1 from interaction.follow_up_tasks where customer_id = ${id}`);
    expect(followUps.length).toBe(2);
    const activity = await rows('customer', sql`select complaints from customer.activity where customer_id = ${id}`);
    expect(activity.length).toBe(1);
    const tiers = await rows('case', sql`select tier from "case".known_tiers where customer_id = ${id}`);
    expect(tiers.length).toBe(1);
  }, 30_000);

  const needles = [person.firstName, person.lastName, person.email, person.passport, phoneE164.replace('+', ''), person.phone];
  return { id, caseId, attachmentFile, claimId: claim.fileCompensationClaim.id as string, claimAmount: claim.fileCompensationClaim.amount.amountMinor as number, person, needles, emailId: email.sendEmail.id, smsId: sms.sendSms.id, testimonialId: testimonial.submitFeedback.id as string };
}

/** Every text, varchar, json, jsonb and array column of every table of every subgraph's schema that holds any needle. */
async function personalDataLeft(needles: string[]): Promise<string[]> {
  const patterns = `{${needles.map((n) => `"%${n.replace(/[%_\\"]/g, (c) => `\\${c}`)}%"`).join(',')}}`;
  const found: string[] = [];
  for (const { schema, db } of t.platform.databases) {
    const columns = resultRows<{ table_name: string; column_name: string }>(
      await db.execute(sql`
        select c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema = ${schema} and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
        order by c.table_name, c.column_name`),
    );
    expect(columns.length).toBeGreaterThan(10);
    for (const { table_name, column_name } of columns) {
      const [hit] = resultRows<{ n: number }>(
        await db.execute(
          sql`select count(*)::int as n from ${sql.identifier(schema)}.${sql.identifier(table_name)} where ${sql.identifier(column_name)}::text ilike any(${patterns}::text[])`,
        ),
      );
      if (hit!.n > 0) found.push(`${schema}.${table_name}.${column_name} (${hit!.n})`);
    }
  }
  return found;
}

const REPORT = `id customerId customerIds reason requestedBy requestedAt status completedAt
  sections { subgraph status completedAt tables { table rowsAffected fields } retained { table count what } }`;
const SECTION = 'subgraph tables { table rowsAffected fields } retained { table count what }';
const PREVIEW = `query($id: ID!) { erasurePreview(customerId: $id) { customerId
  customer { ${SECTION} } interaction { ${SECTION} } case { ${SECTION} } invitation { ${SECTION} } loyalty { ${SECTION} } } }`;

const rowsOf = (section: { tables: { table: string; rowsAffected: number }[] }, table: string) =>
  section.tables.find((t) => t.table === table)?.rowsAffected;
const retainedOf = (section: { retained: { table: string; count: number }[] }, table: string) =>
  section.retained.find((t) => t.table === table)?.count;

async function erased(id: string, reason = 'Data subject request under GDPR Art. 17') {
  const data = await ok(`mutation($id: ID!, $reason: String!) { eraseCustomer(id: $id, reason: $reason) { ${REPORT} } }`, { id, reason }, dpo);
  return data.eraseCustomer;
}

const completedReport = (reportId: string) =>
  eventually(async () => {
    const report = (await ok(`query($id: ID!) { erasureReport(id: $id) { ${REPORT} } }`, { id: reportId }, dpo)).erasureReport;
    expect(report.status).toBe('COMPLETED');
    return report;
  }, 30_000);

describe('GDPR erasure across every subgraph', () => {
  it('previews, erases, reports; afterwards no text column of any subgraph holds the name, e-mail, phone or passport, while cases and compensation amounts remain', async () => {
    const c = await customerEverywhere();
    // A data-subject export made before the erasure holds copies of the records in every subgraph.
    const exported = (await ok('mutation($id: ID!) { requestDataSubjectExport(customerId: $id) { id } }', { id: c.id }, dpo)).requestDataSubjectExport;
    await eventually(async () => {
      const progress = (await ok('query($id: ID!) { dataSubjectExport(id: $id) { status } }', { id: exported.id }, dpo)).dataSubjectExport;
      expect(progress.status).toBe('COMPLETED');
    }, 30_000);
    // The scan finds the person before the erasure: it can fail.
    const before = await personalDataLeft(c.needles);
    for (const schema of ['customer', 'interaction', 'case', 'loyalty']) expect(before.some((hit) => hit.startsWith(`${schema}.`)), schema).toBe(true);
    expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^interaction\.data_export_sections\.section/)]));

    const wallBefore = await ok('{ publicTestimonials(first: 50) { edges { node { id } } } }', {});
    expect(wallBefore.publicTestimonials.edges.map((e: any) => e.node.id)).toContain(c.testimonialId);

    const preview = (await ok(PREVIEW, { id: c.id }, dpo)).erasurePreview;
    expect(preview.customerId).toBe(c.id);
    expect(rowsOf(preview.customer, 'customer.customers')).toBe(1);
    expect(rowsOf(preview.customer, 'customer.contacts')).toBe(1);
    expect(retainedOf(preview.customer, 'customer.purchases')).toBe(1);
    expect(rowsOf(preview.interaction, 'interaction.interactions')).toBe(4); // call, e-mail, SMS, meeting
    expect(rowsOf(preview.interaction, 'interaction.outbound_messages')).toBe(3);
    expect(rowsOf(preview.interaction, 'interaction.feedback')).toBe(1);
    expect(rowsOf(preview.case, 'case.cases')).toBe(1);
    expect(rowsOf(preview.case, 'blob store: case attachments')).toBe(1);
    expect(retainedOf(preview.case, 'case.cases')).toBe(1);
    expect(retainedOf(preview.case, 'case.compensation_claims')).toBe(1);
    expect(rowsOf(preview.invitation, 'invitation.invitations')).toBe(1);
    expect(rowsOf(preview.case, 'case.data_export_sections')).toBe(1);
    expect(rowsOf(preview.loyalty, 'loyalty.ledger_entries')).toBeGreaterThanOrEqual(1);
    for (const section of [preview.customer, preview.interaction, preview.case, preview.invitation, preview.loyalty]) {
      expect(rowsOf(section, `${section.subgraph}.outbox`)).toBeGreaterThan(0);
    }
    // A preview changes nothing.
    expect(await personalDataLeft(c.needles)).toEqual(before);

    const started = await erased(c.id);
    expect(started).toMatchObject({ customerId: c.id, customerIds: [c.id], reason: 'Data subject request under GDPR Art. 17' });
    expect(started.sections.find((s: any) => s.subgraph === 'customer')).toMatchObject({ status: 'COMPLETED' });
    const report = await completedReport(started.id);
    expect(report.sections.map((s: any) => [s.subgraph, s.status])).toEqual([
      ['customer', 'COMPLETED'],
      ['interaction', 'COMPLETED'],
      ['case', 'COMPLETED'],
      ['invitation', 'COMPLETED'],
      ['loyalty', 'COMPLETED'],
    ]);
    const section = (name: string) => report.sections.find((s: any) => s.subgraph === name);
    expect(rowsOf(section('interaction'), 'interaction.interactions')).toBe(4);
    expect(section('interaction').tables.find((t: any) => t.table === 'interaction.interactions').fields).toEqual(['subject', 'summary', 'notes', 'transcript']);
    expect(section('case').retained).toEqual(expect.arrayContaining([expect.objectContaining({ table: 'case.cases', count: 1 })]));
    expect(new Date(report.completedAt).getTime()).toBeGreaterThanOrEqual(new Date(report.requestedAt).getTime());

    expect(await personalDataLeft(c.needles)).toEqual([]);
    // The case's file is gone from the blob store too.
    expect(rowsOf(section('case'), 'blob store: case attachments')).toBe(1);
    expect(existsSync(c.attachmentFile)).toBe(false);

    // Kept: the case with its status, category and compensation, the claim with its amount, the money and points.
    const [kept] = await rows<Record<string, any>>('case', sql`select status, category, compensation_offered_minor, compensation_currency from "case".cases where id = ${c.caseId}`);
    expect(kept).toEqual({ status: 'RESOLVED', category: 'FLIGHT_DISRUPTION', compensation_offered_minor: 25_000, compensation_currency: 'EUR' });
    const [claim] = await rows<Record<string, any>>('case', sql`select amount_minor, currency, status from "case".compensation_claims where id = ${c.claimId}`);
    expect(claim).toMatchObject({ amount_minor: c.claimAmount, currency: 'EUR' });
    expect(c.claimAmount).toBe(60_000);
    const [customer] = await rows<Record<string, any>>('customer', sql`select lifetime_value_minor::int as ltv, erased_at is not null as erased, customer_number from customer.customers where id = ${c.id}`);
    expect(customer).toMatchObject({ ltv: 4_500, erased: true });
    const [account] = await rows<Record<string, any>>('loyalty', sql`select avios_balance, elite_points from loyalty.accounts where customer_id = ${c.id}`);
    expect(account).toEqual({ avios_balance: 7_000, elite_points: 300 });

    // The erased customer is hidden like a deactivated one and closed to changes for good.
    expect((await post(t.url, 'query($id: ID!) { customer(id: $id) { id } }', { id: c.id }, admin)).data.customer).toBeNull();
    const update = await post(t.url, 'mutation($id: ID!) { updateCustomer(id: $id, input: { firstName: "Back" }) { id } }', { id: c.id }, admin);
    expect(update.errors?.[0]?.extensions?.code).toBe('CUST-004');
    const reactivate = await post(t.url, 'mutation($id: ID!) { reactivateCustomer(id: $id, reason: "asked to come back") { id } }', { id: c.id }, admin);
    expect(reactivate.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    // The testimonial is off the public wall.
    const wall = await ok('{ publicTestimonials(first: 50) { edges { node { id } } } }', {});
    expect(wall.publicTestimonials.edges.map((e: any) => e.node.id)).not.toContain(c.testimonialId);

    // Erasing again answers the same report and changes nothing.
    const again = await erased(c.id, 'asked a second time');
    expect(again).toEqual(report);
  }, 180_000);

  it('replaying the erasure events changes nothing: no second completion, the same report and the same rows', async () => {
    const c = await customerEverywhere();
    const report = await completedReport((await erased(c.id)).id);
    const snapshot = async () => ({
      interactions: await rows('interaction', sql`select * from interaction.interactions where customer_id = ${c.id} order by id`),
      timeline: await rows('interaction', sql`select id, summary from interaction.timeline_entries where customer_id = ${c.id} order by id`),
      cases: await rows('case', sql`select * from "case".cases where customer_id = ${c.id} order by id`),
      ledger: await rows('loyalty', sql`select l.* from loyalty.ledger_entries l join loyalty.accounts a on a.id = l.account_id where a.customer_id = ${c.id} order by l.id`),
      completions: await Promise.all(
        ['interaction', 'case', 'invitation', 'loyalty'].map((s) =>
          rows(s, sql`select event_id from ${sql.identifier(s)}.outbox where type = ${`cmp.${s}.CustomerErasureCompleted`} and aggregate_id = ${report.id}`),
        ),
      ),
    });
    const before = await snapshot();
    expect(before.completions.map((c) => c.length)).toEqual([1, 1, 1, 1]);

    const [request] = await rows<Record<string, any>>('customer', sql`select event_id, occurred_at, data from customer.outbox where type = ${CUSTOMER_ERASURE_REQUESTED} and aggregate_id = ${c.id}`);
    const completions = await Promise.all(
      ['interaction', 'case', 'invitation', 'loyalty'].map(async (s) => {
        const [row] = await rows<Record<string, any>>(s, sql`select event_id, occurred_at, data from ${sql.identifier(s)}.outbox where type = ${`cmp.${s}.CustomerErasureCompleted`} and aggregate_id = ${report.id}`);
        return { ...row!, type: `cmp.${s}.CustomerErasureCompleted`, source: `cmp.${s}` };
      }),
    );
    for (const e of [{ ...request!, type: CUSTOMER_ERASURE_REQUESTED, source: 'cmp.customer' }, ...completions]) {
      const event: CloudEvent = {
        specversion: '1.0',
        id: e.event_id,
        source: e.source,
        type: e.type,
        subject: `Customer/${c.id}`,
        time: new Date(e.occurred_at).toISOString(),
        datacontenttype: 'application/json',
        data: e.data,
        customerid: c.id,
      };
      await t.platform.bus.publish(event);
    }
    // Every consumer takes its events in stream order: once a later erasure is complete, the replay was handled.
    const marker = await customerEverywhere();
    await completedReport((await erased(marker.id)).id);

    expect(await snapshot()).toEqual(before);
    expect((await ok(`query($id: ID!) { erasureReport(id: $id) { ${REPORT} } }`, { id: report.id }, dpo)).erasureReport).toEqual(report);
    expect(await personalDataLeft(c.needles)).toEqual([]);
  }, 240_000);

  it('erases the duplicates merged into the customer with it', async () => {
    const tag = randomUUID().slice(0, 6);
    const make = async (lastName: string) =>
      (await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
        input: { type: 'INDIVIDUAL', firstName: `Dupont${tag}`, lastName, primaryEmail: `${lastName.toLowerCase()}.${tag}@example.com` },
      })).createCustomer.id as string;
    const source = await make(`Duplicate${tag}`);
    const target = await make(`Original${tag}`);
    await ok('mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { id } }', { input: { sourceCustomerId: source, targetCustomerId: target } });
    const report = await completedReport((await erased(target)).id);
    expect([...report.customerIds].sort()).toEqual([source, target].sort());
    expect(rowsOf(report.sections[0], 'customer.customers')).toBe(2);
    expect(await personalDataLeft([`Dupont${tag}`, `Duplicate${tag}`, `Original${tag}`])).toEqual([]);
  }, 120_000);

  it('records nothing new for an erased customer in any subgraph, naming the field, and an event still in flight adds nothing to its timeline', async () => {
    const tag = randomUUID().slice(0, 6);
    const id = (await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: `Forgotten${tag}`, lastName: 'Traveller', primaryEmail: `forgotten.${tag}@example.com` },
    })).createCustomer.id as string;
    // An account from before, so the invitation's eligibility question has its answer and only the erasure refuses.
    await ok('mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { id } }', { input: { customerId: id, tier: 'ORO' } });
    await completedReport((await erased(id)).id);
    for (const schema of ['interaction', 'case', 'invitation', 'loyalty']) {
      const [row] = await rows<{ n: number }>(schema, sql`select count(*)::int as n from ${sql.identifier(schema)}.erased_customers where customer_id = ${id}`);
      expect(row!.n, schema).toBe(1);
    }

    const later = new Date(Date.now() + 86_400_000).toISOString();
    const attempts: [string, string, Record<string, unknown>][] = [
      ['logInteraction', 'LogInteractionInput', { customerId: id, channel: 'CALL', direction: 'INBOUND', durationSeconds: 60, summary: `Forgotten${tag} called again` }],
      ['createFollowUpTask', 'CreateFollowUpTaskInput', { customerId: id, title: `Call Forgotten${tag}`, dueAt: later, priority: 'LOW' }],
      ['sendEmail', 'SendEmailInput', { customerId: id, to: `forgotten.${tag}@example.com`, subject: 'Hello', text: `Dear Forgotten${tag}` }],
      ['sendSms', 'SendSmsInput', { customerId: id, to: '+34612000111', body: `Hola Forgotten${tag}` }],
      ['scheduleMeeting', 'ScheduleMeetingInput', { customerId: id, title: `Meet Forgotten${tag}`, startsAt: later, endsAt: new Date(Date.now() + 90_000_000).toISOString(), inPerson: true, location: 'MAD T4S', attendees: [{ name: `Forgotten${tag}`, email: `forgotten.${tag}@example.com` }] }],
      ['submitFeedback', 'SubmitFeedbackInput', { customerId: id, kind: 'COMPLIMENT', content: `Forgotten${tag} liked the lounge`, rating: 5, authorName: 'F. T.' }],
      ['openCase', 'OpenCaseInput', { customerId: id, subject: `Complaint by Forgotten${tag}`, description: 'Lost bag', category: 'BAGGAGE' }],
      ['issueInvitation', 'IssueInvitationInput', { customerId: id, loungeCode: 'MAD-VELAZQUEZ', guests: 0, flightNumber: 'IB6275', validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil: later }],
      ['enrollLoyaltyMember', 'EnrollLoyaltyMemberInput', { customerId: id, tier: 'PLATA' }],
    ];
    for (const [field, inputType, input] of attempts) {
      const result = await post(t.url, `mutation($input: ${inputType}!) { ${field}(input: $input) { id } }`, { input }, admin);
      expect(result.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
      expect(result.errors?.[0]?.message, field).toMatch(new RegExp(`customer ${id} was erased \\(GDPR\\) on \\d{4}-\\d{2}-\\d{2}; nothing new can be recorded for it`));
    }

    // An event about the customer that was still travelling when the erasure ran puts nothing on the timeline.
    const { addTimelineEntry } = await import('../subgraphs/interaction/src/domain/timeline.ts');
    await addTimelineEntry(databaseOf('interaction'), { source: 'cmp.interaction' }, {
      customerId: id, occurredAt: new Date(), type: 'CASE', summary: `Case opened by Forgotten${tag}`, sourceType: 'Case', sourceId: randomUUID(), eventId: randomUUID(),
    });
    expect(await personalDataLeft([`Forgotten${tag}`])).toEqual([]);
  }, 120_000);

  it('an erasure racing 20 new interactions leaves none of them in clear: each was refused, or recorded first and erased', async () => {
    const tag = randomUUID().slice(0, 6);
    const id = (await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: `Racer${tag}`, lastName: 'Traveller', primaryEmail: `racer.${tag}@example.com` },
    })).createCustomer.id as string;
    const log = (n: number) =>
      post(t.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
        input: { customerId: id, channel: 'CALL', direction: 'INBOUND', durationSeconds: 60, summary: `Racer${tag} call ${n}` },
      }, admin);
    const [erasure, ...logged] = await Promise.all([erased(id), ...Array.from({ length: 20 }, (_, n) => log(n))]);
    await completedReport(erasure.id);
    for (const result of logged) {
      if (result.errors) expect(result.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    }
    const refusedLater = await log(99);
    expect(refusedLater.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    // The timeline projection of what was recorded has had its chance to run too.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await personalDataLeft([`Racer${tag}`])).toEqual([]);
  }, 120_000);

  it('refuses callers without gdpr:erase or without MFA, and names bad input', async () => {
    const created = await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Keep', lastName: 'Me', primaryEmail: `keep.${randomUUID().slice(0, 6)}@example.com` },
    });
    const id = created.createCustomer.id as string;
    const callers = [
      bearer(await t.token('Admin')), // no MFA
      bearer(await t.token('DataPrivacyOfficer')), // no MFA
      bearer(await t.token('CustomerManager', { mfa: true })),
      bearer(await t.token('SupportAgent', { mfa: true })),
      bearer(await t.token('Customer', { customerId: id, mfa: true })),
    ];
    for (const headers of callers) {
      const erase = await post(t.url, 'mutation($id: ID!) { eraseCustomer(id: $id, reason: "please forget me") { id } }', { id }, headers);
      expect(erase.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const preview = await post(t.url, 'query($id: ID!) { erasurePreview(customerId: $id) { customerId } }', { id }, headers);
      expect(preview.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const report = await post(t.url, 'query($id: ID!) { erasureReport(id: $id) { id } }', { id: randomUUID() }, headers);
      expect(report.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // Nothing was erased.
    expect((await ok('query($id: ID!) { customer(id: $id) { id firstName } }', { id })).customer).toEqual({ id, firstName: 'Keep' });

    const short = await post(t.url, 'mutation($id: ID!) { eraseCustomer(id: $id, reason: "x") { id } }', { id }, dpo);
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const unknown = await post(t.url, 'mutation($id: ID!) { eraseCustomer(id: $id, reason: "please forget me") { id } }', { id: randomUUID() }, dpo);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('CUST-001');
    const malformed = await post(t.url, 'query { erasurePreview(customerId: "nope") { customerId } }', {}, dpo);
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    expect((await ok('query($id: ID!) { erasureReport(id: $id) { id } }', { id: randomUUID() }, dpo)).erasureReport).toBeNull();
  }, 60_000);
});
