import { randomUUID } from 'node:crypto';
import {
  CUSTOMER_ERASURE_REQUESTED,
  customerErasureCompletedType,
  customerErasureConsumer,
  ERASED_TEXT,
  previewErasure,
  type CloudEvent,
  type CustomerErasureCompletedData,
} from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundMessages } from '../src/db/delivery.schema.ts';
import { interactionErasurePlan } from '../src/db/erasure.repo.ts';
import { feedback } from '../src/db/feedback.schema.ts';
import { interactions, outbox } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

const admin = callerWith('Admin');
const consumer = customerErasureConsumer(interactionErasurePlan);

async function ok(query: string, variables: Record<string, unknown>) {
  const result = await h.run(admin, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as Record<string, any>;
}

const erasureRequest = (customerId: string, erasureId = randomUUID()): CloudEvent => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'cmp.customer',
  type: CUSTOMER_ERASURE_REQUESTED,
  subject: `Customer/${customerId}`,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: { erasureId, customerId, customerIds: [customerId] },
  customerid: customerId,
});

const completions = (erasureId: string) =>
  h.handle.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.type, customerErasureCompletedType('interaction')), eq(outbox.aggregateId, erasureId)));

describe('CustomerErasureRequested in the interaction subgraph', () => {
  it('pseudonymises the communications, stops a queued SMS, keeps the records, and answers once however often it arrives', async () => {
    const customerId = randomUUID();
    const other = randomUUID();
    // No dispatcher runs in this harness: the SMS stays QUEUED.
    const sms = (await ok('mutation($input: SendSmsInput!) { sendSms(input: $input) { id status } }', {
      input: { customerId, to: '+34 699 111 222', body: 'Hola Eulalia, su vuelo IB3166 sale por la puerta J40' },
    })).sendSms;
    expect(sms.status).toBe('QUEUED');
    await ok('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId: other, channel: 'NOTE', direction: 'INBOUND', summary: 'Another customer entirely' },
    });
    const testimonial = (await ok('mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { id } }', {
      input: { customerId, kind: 'TESTIMONIAL', content: 'Eulalia loved the Velázquez lounge', rating: 5, authorName: 'Eulalia P.', consentToPublish: true },
    })).submitFeedback;

    const preview = await previewErasure(h.handle.db, interactionErasurePlan, [customerId]);
    const rows = (table: string) => preview.tables.find((t) => t.table === table)?.rowsAffected;
    expect(rows('interaction.outbound_messages')).toBe(1);
    expect(rows('interaction.interactions')).toBe(1);
    expect(rows('interaction.feedback')).toBe(1);

    const erasureId = randomUUID();
    await consumer.handle(h.handle.db, erasureRequest(customerId, erasureId));

    const [message] = await h.handle.db.select().from(outboundMessages).where(eq(outboundMessages.id, sms.id));
    expect(message).toMatchObject({ status: 'FAILED', recipient: ERASED_TEXT, textBody: null, lastError: 'erased (GDPR)' });
    const [logged] = await h.handle.db.select().from(interactions).where(eq(interactions.customerId, customerId));
    expect(logged).toMatchObject({ summary: ERASED_TEXT, subject: null, channel: 'SMS' });
    const [kept] = await h.handle.db.select().from(feedback).where(eq(feedback.id, testimonial.id));
    expect(kept).toMatchObject({ content: ERASED_TEXT, authorName: ERASED_TEXT, consentToPublish: false, rating: 5, kind: 'TESTIMONIAL' });
    // Another customer's records are untouched.
    const [untouched] = await h.handle.db.select().from(interactions).where(eq(interactions.customerId, other));
    expect(untouched!.summary).toBe('Another customer entirely');
    // Stored event payloads of the customer keep ids and numbers only.
    const events = await h.handle.db.select().from(outbox).where(eq(outbox.customerId, customerId));
    for (const event of events.filter((e) => !e.type.endsWith('CustomerErasureCompleted'))) {
      expect(event.data.erased).toBe(true);
      // The phone as written or as stored (a bare 699 may turn up inside a random id).
      expect(JSON.stringify(event.data)).not.toMatch(/Eulalia|699 111 222|699111222/);
    }

    const [completion] = await completions(erasureId);
    const data = completion!.data as unknown as CustomerErasureCompletedData;
    expect(data).toMatchObject({ erasureId, customerId, subgraph: 'interaction' });
    expect(data.tables.find((t) => t.table === 'interaction.outbound_messages')).toMatchObject({ rowsAffected: 1 });

    // Delivered again: the same rows, no second completion.
    const before = await h.handle.db.select().from(interactions).where(eq(interactions.customerId, customerId));
    await consumer.handle(h.handle.db, erasureRequest(customerId, erasureId));
    expect(await completions(erasureId)).toHaveLength(1);
    expect(await h.handle.db.select().from(interactions).where(eq(interactions.customerId, customerId))).toEqual(before);
  });
});
