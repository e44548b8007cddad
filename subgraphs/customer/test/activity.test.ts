import { randomUUID } from 'node:crypto';
import { toCloudEvent, type CloudEvent, type OutboxRow } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, customerHistory, customers, outbox } from '../src/db/schema.ts';
import { activityConsumer } from '../src/domain/activity.ts';
import { customerSubgraph } from '../src/index.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }
`;
const RATING = /* GraphQL */ `
  mutation Rating($id: ID!, $rating: CustomerRating, $reason: String!) {
    overrideCustomerRating(customerId: $id, rating: $rating, reason: $reason) { rating }
  }
`;

let h: SubgraphHarness;
const admin = callerWith('Admin');

async function newCustomer(): Promise<string> {
  const result = await h.run(admin, CREATE, {
    input: { type: 'INDIVIDUAL', firstName: 'Iker', lastName: 'Sanz', primaryEmail: `iker.${randomUUID().slice(0, 8)}@example.com` },
  });
  expect(result.errors).toBeUndefined();
  return result.data.createCustomer.id;
}

/** An event as the producing subgraph's relay publishes it: an outbox row through the platform's envelope. */
function published(source: string, type: string, aggregateType: string, aggregateId: string, customerId: string, data: Record<string, unknown>): CloudEvent {
  const row: OutboxRow = {
    id: 1,
    eventId: randomUUID(),
    type,
    source,
    aggregateType,
    aggregateId,
    customerId,
    data,
    traceparent: null,
    occurredAt: new Date(),
    publishedAt: null,
    attempts: 0,
    lastError: null,
  };
  return toCloudEvent(row);
}

/** What case's openCase writes. */
function complaint(customerId: string): CloudEvent {
  const caseId = randomUUID();
  return published('cmp.case', 'cmp.case.CustomerComplaintReceived', 'Case', caseId, customerId, {
    caseId,
    caseNumber: 'CASE-20260301-0001',
    customerId,
    category: 'BAGGAGE',
    priority: 'MEDIUM',
    subject: 'Bag arrived damaged',
  });
}

/** What invitation's validateQr writes for a scan (scannedData). */
function scan(customerId: string, invitationId: string, outcome: string): CloudEvent {
  return published('cmp.invitation', 'cmp.invitation.QrScanned', 'Invitation', invitationId, customerId, {
    scanId: randomUUID(),
    invitationId,
    customerId,
    loungeCode: 'MAD-VELAZQUEZ',
    deviceId: randomUUID(),
    outcome,
    admitted: outcome === 'ADMITTED' ? 1 : 0,
    entriesRemaining: 0,
    scannedAt: new Date().toISOString(),
  });
}

function testimonial(customerId: string): CloudEvent {
  const interactionId = randomUUID();
  return published('cmp.interaction', 'cmp.interaction.TestimonialApproved', 'Interaction', interactionId, customerId, {
    interactionId,
    customerId,
    approvedBy: 'test:marketingmanager',
  });
}

const counters = async (id: string) => {
  const [row] = await h.handle.db.select().from(activity).where(eq(activity.customerId, id));
  return row ? { complaints: row.complaints, eventsAttended: row.eventsAttended, testimonials: row.testimonials } : null;
};
const ratingOf = async (id: string) => (await h.handle.db.select({ r: customers.rating }).from(customers).where(eq(customers.id, id)))[0]!.r;

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
});
afterAll(() => h?.close());

describe('activity consumer', () => {
  it('is registered with the subgraph for the three event types', () => {
    expect(customerSubgraph.consumers).toContain(activityConsumer);
    expect([...activityConsumer.types].sort()).toEqual([
      'cmp.case.CustomerComplaintReceived',
      'cmp.interaction.TestimonialApproved',
      'cmp.invitation.QrScanned',
    ]);
  });

  it('counts a complaint once however often it is delivered, and re-rates the customer', async () => {
    const id = await newCustomer();
    const event = complaint(id);
    await activityConsumer.handle(h.handle.db, event);
    await activityConsumer.handle(h.handle.db, event);
    expect(await counters(id)).toEqual({ complaints: 1, eventsAttended: 0, testimonials: 0 });
    expect(await ratingOf(id)).toBe('POOR');
    const [entry] = await h.handle.db
      .select()
      .from(customerHistory)
      .where(and(eq(customerHistory.customerId, id), eq(customerHistory.attribute, 'RATING')));
    expect(entry).toMatchObject({ fromValue: 'UNRATED', toValue: 'POOR', source: 'AUTOMATIC', actor: 'system', reason: 'complaint CASE-20260301-0001' });
    const changed = (await h.handle.db.select().from(outbox).where(eq(outbox.customerId, id))).filter((e) => e.type === 'cmp.customer.CustomerRatingChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.data).toMatchObject({ from: 'UNRATED', to: 'POOR', source: 'AUTOMATIC' });
  });

  it('counts a lounge visit once per invitation from admitted scans only', async () => {
    const id = await newCustomer();
    const invitation = randomUUID();
    const admitted = scan(id, invitation, 'ADMITTED');
    await activityConsumer.handle(h.handle.db, admitted);
    await activityConsumer.handle(h.handle.db, admitted);
    // A guest entering on the same invitation is the same visit; refused scans are no visit.
    await activityConsumer.handle(h.handle.db, scan(id, invitation, 'ADMITTED'));
    await activityConsumer.handle(h.handle.db, scan(id, randomUUID(), 'EXPIRED'));
    await activityConsumer.handle(h.handle.db, scan(id, randomUUID(), 'WRONG_LOUNGE'));
    expect(await counters(id)).toEqual({ complaints: 0, eventsAttended: 1, testimonials: 0 });
    expect(await ratingOf(id)).toBe('FAIR');

    await activityConsumer.handle(h.handle.db, scan(id, randomUUID(), 'ADMITTED'));
    await activityConsumer.handle(h.handle.db, scan(id, randomUUID(), 'ADMITTED'));
    expect((await counters(id))!.eventsAttended).toBe(3);
    expect(await ratingOf(id)).toBe('GOOD');
  });

  it('counts approved testimonials once each', async () => {
    const id = await newCustomer();
    const first = testimonial(id);
    await activityConsumer.handle(h.handle.db, first);
    await activityConsumer.handle(h.handle.db, first);
    await activityConsumer.handle(h.handle.db, testimonial(id));
    expect(await counters(id)).toEqual({ complaints: 0, eventsAttended: 0, testimonials: 2 });
    expect(await ratingOf(id)).toBe('GOOD');
  });

  it('applies 50 concurrent deliveries of 25 complaints exactly 25 times', async () => {
    const id = await newCustomer();
    const events = Array.from({ length: 25 }, () => complaint(id));
    await Promise.all([...events, ...events].map((e) => activityConsumer.handle(h.handle.db, e)));
    expect((await counters(id))!.complaints).toBe(25);
  });

  it('keeps counting but leaves an overridden rating alone', async () => {
    const id = await newCustomer();
    expect((await h.run(admin, RATING, { id, rating: 'EXCELLENT', reason: 'Frequent flyer ambassador' })).errors).toBeUndefined();
    await activityConsumer.handle(h.handle.db, complaint(id));
    await activityConsumer.handle(h.handle.db, complaint(id));
    expect((await counters(id))!.complaints).toBe(2);
    expect(await ratingOf(id)).toBe('EXCELLENT');
    const back = await h.run(admin, RATING, { id, rating: null, reason: 'Back to the rules' });
    expect(back.data.overrideCustomerRating.rating).toBe('POOR');
  });

  it('ignores events for unknown and deactivated customers', async () => {
    const stranger = randomUUID();
    await activityConsumer.handle(h.handle.db, complaint(stranger));
    expect(await counters(stranger)).toBeNull();

    const id = await newCustomer();
    await h.handle.db.update(customers).set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'closed' }).where(eq(customers.id, id));
    await activityConsumer.handle(h.handle.db, complaint(id));
    expect(await counters(id)).toBeNull();
    expect(await ratingOf(id)).toBe('UNRATED');
  });

  it("counts an event about a merged duplicate for the customer it was merged into", async () => {
    const source = await newCustomer();
    const target = await newCustomer();
    await h.handle.db
      .update(customers)
      .set({ deactivatedAt: new Date(), deactivatedBy: 'test', deactivationReason: 'Merged', mergedIntoId: target })
      .where(eq(customers.id, source));
    await activityConsumer.handle(h.handle.db, scan(source, randomUUID(), 'ADMITTED'));
    expect(await counters(source)).toBeNull();
    expect(await counters(target)).toEqual({ complaints: 0, eventsAttended: 1, testimonials: 0 });
    expect(await ratingOf(target)).toBe('FAIR');
  });
});
