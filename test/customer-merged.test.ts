import { randomUUID } from 'node:crypto';
import { CUSTOMER_MERGED, resultRows, type CloudEvent } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, enrolledMember, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

let t: TestPlatform;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestPlatform();
  admin = bearer(await t.token('Admin'));
});
afterAll(() => t?.close());

const customerDb = () => t.platform.databases.find((d) => d.schema === 'customer')!.db;

/** The customer subgraph's merge, through the gateway: it writes CustomerMerged, which every other subgraph acts on. */
async function merged(sourceCustomerId: string, targetCustomerId: string) {
  const result = await post(t.url, 'mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { id } }', {
    input: { sourceCustomerId, targetCustomerId },
  }, admin);
  expect(result.errors).toBeUndefined();
  expect(result.data.mergeCustomers.id).toBe(targetCustomerId);
}

const account = async (id: string) =>
  (await post(t.url, 'query($id: ID!) { loyaltyAccount(id: $id) { id aviosBalance elitePoints qualifyingFlights } }', { id }, admin)).data
    .loyaltyAccount;

const LOYALTY = 'loyalty { memberNumber tier aviosBalance elitePoints qualifyingFlights }';
const read = async (id: string) =>
  (
    await post(t.url, `query($id: ID!) {
      customer(id: $id) {
        ${LOYALTY}
        cases { id }
        invitations { id }
        followUpTasks(includeDone: true) { id }
        timeline(first: 50) { edges { node { type summary sourceId } } }
      }
    }`, { id }, admin)
  ).data.customer;

async function accrue(customerId: string, avios: number, elitePoints: number, flights: number) {
  const account = (await post(t.url, 'query($id: ID!) { customer(id: $id) { loyalty { id } } }', { id: customerId }, admin)).data.customer.loyalty.id;
  const posted = await post(t.url, 'mutation($input: AccruePointsInput!) { accruePoints(input: $input) { account { aviosBalance } } }', {
    input: { accountId: account, externalId: randomUUID(), source: 'FLIGHT', avios, elitePoints, flights, description: 'IB3166 MAD-JFK' },
  }, admin);
  expect(posted.errors).toBeUndefined();
}

describe('CustomerMerged: every subgraph moves the duplicate record to the target', () => {
  it('moves communications, the timeline, cases and invitations, and combines two loyalty accounts once', async () => {
    const source = await enrolledMember(t.url, admin, 'ORO', { firstName: 'Ana', lastName: 'Duplicada' });
    const target = await enrolledMember(t.url, admin, 'PLATA', { firstName: 'Ana', lastName: 'Original' });
    await accrue(source, 12_000, 900, 3);
    await accrue(target, 5_000, 100, 1);
    const call = await post(t.url, 'mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId: source, channel: 'CALL', direction: 'INBOUND', durationSeconds: 180, summary: 'Called about a duplicate profile' },
    }, admin);
    const opened = await post(t.url, 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
      input: { customerId: source, subject: 'Bag lost', description: 'Bag lost on IB3166', category: 'BAGGAGE' },
    }, admin);
    const invitation = await invitationFor(t.url, admin, source, { loungeCode: 'MAD-DALI', guests: 0 });
    const before = await read(source);
    const sourceMember = before.loyalty.memberNumber;
    const sourceAccount = (await post(t.url, 'query($id: ID!) { customer(id: $id) { loyalty { id } } }', { id: source }, admin)).data.customer.loyalty.id;
    const targetMember = (await read(target)).loyalty.memberNumber;

    await merged(source, target);
    const after = await eventually(async () => {
      const now = await read(target);
      expect(now.loyalty.aviosBalance).toBe(17_000);
      expect(now.cases.map((c: any) => c.id)).toEqual([opened.data.openCase.id]);
      expect(now.invitations.map((i: any) => i.id)).toEqual([invitation.id]);
      expect(now.timeline.edges.map((e: any) => e.node.sourceId)).toContain(call.data.logInteraction.id);
      return now;
    }, 10_000);
    // The target keeps its member number and takes the higher tier; the source account is left empty.
    expect(after.loyalty).toEqual({ memberNumber: targetMember, tier: 'ORO', aviosBalance: 17_000, elitePoints: 1_000, qualifyingFlights: 4 });
    // The duplicate's account is left empty; reading the duplicate's id now leads to the target.
    expect(await account(sourceAccount)).toMatchObject({ aviosBalance: 0, elitePoints: 0, qualifyingFlights: 0 });
    expect((await post(t.url, 'query($id: ID!) { customer(id: $id) { id } }', { id: source }, admin)).data.customer.id).toBe(target);
    await eventually(async () => {
      const summaries = (await read(target)).timeline.edges.map((e: any) => e.node.summary);
      expect(summaries).toEqual(expect.arrayContaining([`12,000 Avios and 900 Elite Points moved here from merged account ${sourceMember}`]));
    });

    // The customer subgraph keeps the target's tier as a segmentation input, from loyalty's events.
    await eventually(async () => {
      const [known] = resultRows<{ tier: string }>(await customerDb().execute(sql`select tier from customer.known_tiers where customer_id = ${target}`));
      expect(known?.tier).toBe('ORO');
    });

    // The same event again (at-least-once delivery): nothing moves twice.
    const [row] = resultRows<Record<string, any>>(
      await customerDb().execute(sql`select event_id, occurred_at, data from customer.outbox where type = ${CUSTOMER_MERGED} and aggregate_id = ${source}`),
    );
    const event: CloudEvent = {
      specversion: '1.0',
      id: row!.event_id,
      source: 'cmp.customer',
      type: CUSTOMER_MERGED,
      subject: `Customer/${source}`,
      time: new Date(row!.occurred_at).toISOString(),
      datacontenttype: 'application/json',
      data: row!.data,
      customerid: target,
    };
    await t.platform.bus.publish(event);
    const replayed = await read(target);
    expect(replayed.loyalty).toEqual(after.loyalty);
    expect(replayed.cases).toEqual(after.cases);
  });

  it('moves the whole loyalty account when only the duplicate was a member', async () => {
    const source = await enrolledMember(t.url, admin, 'PLATINO', { firstName: 'Luis', lastName: 'Duplicado' });
    const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Luis', lastName: 'Original', primaryEmail: `luis.${randomUUID().slice(0, 8)}@example.com` },
    }, admin);
    const target = created.data.createCustomer.id as string;
    const memberNumber = (await read(source)).loyalty.memberNumber;

    await merged(source, target);
    await eventually(async () => {
      expect((await read(target)).loyalty).toMatchObject({ memberNumber, tier: 'PLATINO' });
    });
  });
});
