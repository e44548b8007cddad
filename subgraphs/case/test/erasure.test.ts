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
import { caseErasurePlan } from '../src/db/erasure.repo.ts';
import { caseComments, caseHistory, cases, compensationClaims, outbox } from '../src/db/schema.ts';
import { caseSubgraph } from '../src/index.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(caseSubgraph);
});
afterAll(() => h?.close());

const agent = callerWith('CustomerAffairsExecutive', { subject: 'exec-luis' });
const consumer = customerErasureConsumer(caseErasurePlan);

async function ok(query: string, variables: Record<string, unknown>) {
  const result = await h.run(agent, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as Record<string, any>;
}

const erasureRequest = (customerId: string, erasureId: string): CloudEvent => ({
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

describe('CustomerErasureRequested in the case subgraph', () => {
  it("erases the customer's words in cases, notes and comments, and keeps the case, its compensation and the claim's amount", async () => {
    const customerId = randomUUID();
    const departure = new Date('2026-03-10T10:00:00Z');
    const caseId = (await ok('mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
      input: { customerId, subject: 'Delay of Ofelia Baranda', description: 'Ofelia Baranda, passport XK4455661, asks for EU 261', category: 'FLIGHT_DISRUPTION' },
    })).openCase.id as string;
    await ok('mutation($input: AddCaseCommentInput!) { addCaseComment(input: $input) { id } }', { input: { caseId, body: 'Ofelia called from +34 611 000 111' } });
    await ok('mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { id } }', { input: { caseId, status: 'IN_PROGRESS', note: 'Ofelia sent her boarding pass' } });
    const claim = (await ok('mutation($caseId: ID!, $input: CompensationInput!) { fileCompensationClaim(caseId: $caseId, input: $input) { id amount { amountMinor } } }', {
      caseId,
      input: {
        kind: 'DELAY', origin: 'MAD', destination: 'JFK', operatingCarrier: 'IB',
        scheduledDeparture: departure.toISOString(),
        scheduledArrival: new Date(departure.getTime() + 8.5 * 3_600_000).toISOString(),
        actualArrival: new Date(departure.getTime() + 13.5 * 3_600_000).toISOString(),
      },
    })).fileCompensationClaim;
    await ok('mutation($input: ResolveCaseInput!) { resolveCase(input: $input) { id } }', {
      input: { caseId, resolution: 'Ofelia Baranda is paid EU 261 compensation', compensationOffered: { amountMinor: 60_000, currency: 'EUR' }, customerSatisfied: true },
    });

    const preview = await previewErasure(h.handle.db, caseErasurePlan, [customerId]);
    expect(preview.retained.find((r) => r.table === 'case.cases')?.count).toBe(1);
    expect(preview.retained.find((r) => r.table === 'case.compensation_claims')?.count).toBe(1);

    const erasureId = randomUUID();
    await consumer.handle(h.handle.db, erasureRequest(customerId, erasureId));
    await consumer.handle(h.handle.db, erasureRequest(customerId, erasureId));

    const [kept] = await h.handle.db.select().from(cases).where(eq(cases.id, caseId));
    expect(kept).toMatchObject({
      subject: ERASED_TEXT,
      description: ERASED_TEXT,
      resolution: ERASED_TEXT,
      status: 'RESOLVED',
      category: 'FLIGHT_DISRUPTION',
      compensationOfferedMinor: 60_000,
      compensationCurrency: 'EUR',
      customerSatisfied: true,
    });
    const [keptClaim] = await h.handle.db.select().from(compensationClaims).where(eq(compensationClaims.id, claim.id));
    expect(keptClaim).toMatchObject({ amountMinor: claim.amount.amountMinor, currency: 'EUR' });
    expect(claim.amount.amountMinor).toBe(60_000);
    const notes = await h.handle.db.select({ note: caseHistory.note }).from(caseHistory).where(eq(caseHistory.caseId, caseId));
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((n) => n.note === ERASED_TEXT)).toBe(true);
    const comments = await h.handle.db.select({ body: caseComments.body }).from(caseComments).where(eq(caseComments.caseId, caseId));
    expect(comments).toEqual([{ body: ERASED_TEXT }]);

    const answered = await h.handle.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.type, customerErasureCompletedType('case')), eq(outbox.aggregateId, erasureId)));
    expect(answered).toHaveLength(1);
    const data = answered[0]!.data as unknown as CustomerErasureCompletedData;
    expect(data.tables.find((t) => t.table === 'case.cases')).toEqual({ table: 'case.cases', rowsAffected: 1, fields: ['subject', 'description', 'resolution'] });
    const received = await h.handle.db.select().from(outbox).where(and(eq(outbox.customerId, customerId), eq(outbox.type, 'cmp.case.CustomerComplaintReceived')));
    expect(JSON.stringify(received[0]!.data)).not.toMatch(/Ofelia|XK4455661/);
  });
});
