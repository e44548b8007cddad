import type { CloudEvent } from '@cmp/platform';
import { callerWith, customerEntities, recordQueries, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timelineEntries } from '../src/db/schema.ts';
import { insertTimelineEntry } from '../src/db/timeline.repo.ts';
import { timelineConsumer } from '../src/events/timeline-consumer.ts';
import { interactionSubgraph } from '../src/index.ts';

const TYPES = ['COMMUNICATION', 'CASE', 'INVITATION', 'LOYALTY', 'PURCHASE'] as const;
const ENTRIES = 10_000;
const agent = callerWith('SupportAgent');
const timeline = (args: string) =>
  customerEntities(`timeline${args} { edges { cursor node { id occurredAt type summary actor link sourceType sourceId } } pageInfo { hasNextPage endCursor } }`);
const entitiesOf = (...ids: string[]) => ({ representations: ids.map((id) => ({ __typename: 'Customer', id })) });

let h: SubgraphHarness;
const big = randomUUID();
/** The 10,000 entries as the database holds them, in the order the timeline must give them. */
let expected: { id: string; occurredAt: Date; type: string }[];

async function page(customerId: string, args: string) {
  const result = await h.run(agent, timeline(args), entitiesOf(customerId));
  expect(result.errors).toBeUndefined();
  return result.data._entities[0].timeline as { edges: { cursor: string; node: any }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Follows endCursor from `after` to the end; the ids in the order served, and the number of pages. */
async function walk(customerId: string, args: string, after: string | null = null) {
  const ids: string[] = [];
  let pages = 0;
  for (;;) {
    const cursor: string = after ? `, after: "${after}"` : '';
    const p = await page(customerId, `(first: 100${args}${cursor})`);
    pages++;
    ids.push(...p.edges.map((e) => e.node.id));
    if (!p.pageInfo.hasNextPage) return { ids, pages };
    after = p.pageInfo.endCursor;
  }
}

const newestFirst = (a: { occurredAt: Date; id: string }, b: { occurredAt: Date; id: string }) =>
  b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
  // One set-based insert: every group of four entries shares its instant on purpose, so the order within a group
  // rests on the id alone; types rotate through five kinds.
  await h.handle.db.execute(sql`
    insert into interaction.timeline_entries (customer_id, occurred_at, type, summary, source_type, source_id, actor)
    select ${big}::uuid,
           timestamptz '2026-01-01T00:00:00Z' + ((g / 4) * interval '1 minute'),
           (array['COMMUNICATION','CASE','INVITATION','LOYALTY','PURCHASE'])[1 + g % 5],
           'entry ' || g, 'Case', gen_random_uuid()::text, 'agent-' || (g % 7)
    from generate_series(0, ${ENTRIES - 1}) as g`);
  // Someone else's entries at the same instants must never leak into the big customer's pages.
  await h.handle.db.execute(sql`
    insert into interaction.timeline_entries (customer_id, occurred_at, type, summary, source_type, source_id)
    select gen_random_uuid(), timestamptz '2026-01-01T00:00:00Z' + ((g / 4) * interval '1 minute'), 'CASE', 'other ' || g, 'Case', gen_random_uuid()::text
    from generate_series(0, 499) as g`);
  const rows = await h.handle.db.select({ id: timelineEntries.id, occurredAt: timelineEntries.occurredAt, type: timelineEntries.type }).from(timelineEntries).where(sql`${timelineEntries.customerId} = ${big}`);
  expected = rows.sort(newestFirst);
}, 120_000);
afterAll(() => h?.close());

describe('a timeline of 10,000 entries', () => {
  it('holds 10,000 entries with shared instants', () => {
    expect(expected).toHaveLength(ENTRIES);
    expect(new Set(expected.map((e) => e.occurredAt.getTime())).size).toBe(ENTRIES / 4);
  });

  it('pages through all 10,000 with first=100 exactly once each, newest first (occurredAt desc, id desc)', async () => {
    const { ids, pages } = await walk(big, '');
    expect(pages).toBe(100);
    expect(new Set(ids).size).toBe(ENTRIES);
    expect(ids).toEqual(expected.map((e) => e.id));
  }, 120_000);

  it('gives each entry its actor and a link to its record', async () => {
    const first = await page(big, '(first: 5)');
    for (const { node } of first.edges) {
      expect(node.actor).toMatch(/^agent-[0-6]$/);
      expect(node.link).toBe(`Case:${node.sourceId}`);
    }
  });

  it('continues cursors handed out earlier at the same place after newer entries arrive', async () => {
    const firstPage = await page(big, '(first: 100)');
    const cursors: string[] = [firstPage.pageInfo.endCursor!];
    for (let i = 0; i < 4; i++) cursors.push((await page(big, `(first: 100, after: "${cursors.at(-1)}")`)).pageInfo.endCursor!);
    const before = await Promise.all(cursors.map(async (c) => (await page(big, `(first: 100, after: "${c}")`)).edges.map((e) => e.node.id)));

    // New entries arrive: some now, some sharing the newest instant already on the timeline.
    const newest = expected[0]!.occurredAt;
    for (let i = 0; i < 30; i++) {
      await insertTimelineEntry(h.handle.db, {
        customerId: big,
        occurredAt: i % 2 ? new Date() : newest,
        type: 'COMMUNICATION',
        summary: `arrived later ${i}`,
        sourceType: 'Interaction',
        sourceId: randomUUID(),
      });
    }
    const after = await Promise.all(cursors.map(async (c) => (await page(big, `(first: 100, after: "${c}")`)).edges.map((e) => e.node.id)));
    expect(after).toEqual(before);
    expect(after[0]).toEqual(expected.slice(100, 200).map((e) => e.id));
    // The rest of the walk from an old cursor is still every older entry exactly once.
    expect((await walk(big, '', cursors[2]!)).ids).toEqual(expected.slice(300).map((e) => e.id));
    // A fresh walk sees all 10,030, in order: the new ones that share the newest instant fall in by id.
    const fresh = (await walk(big, '')).ids;
    const all = await h.handle.db.select({ id: timelineEntries.id, occurredAt: timelineEntries.occurredAt }).from(timelineEntries).where(sql`${timelineEntries.customerId} = ${big}`);
    expect(fresh).toHaveLength(ENTRIES + 30);
    expect(fresh).toEqual(all.sort(newestFirst).map((e) => e.id));
    expect(fresh.slice(15)).toEqual(expect.arrayContaining(expected.map((e) => e.id)));
  }, 120_000);

  it('pages a types filter through exactly the entries of those types, in order', async () => {
    const wanted = new Set(['CASE', 'LOYALTY']);
    const { ids, pages } = await walk(big, ', types: [LOYALTY, CASE]');
    const expectedIds = expected.filter((e) => wanted.has(e.type)).map((e) => e.id);
    expect(expectedIds).toHaveLength(4_000);
    expect(pages).toBe(40);
    expect(ids).toEqual(expectedIds);
    const purchases = await walk(big, ', types: [PURCHASE]');
    expect(purchases.ids).toEqual(expected.filter((e) => e.type === 'PURCHASE').map((e) => e.id));
  }, 120_000);
});

describe('many customers at once', () => {
  it('reads the first page of 20 customers, the 10,000-entry one among them, in one statement, each its own', async () => {
    const others = Array.from({ length: 19 }, () => randomUUID());
    for (const [i, customerId] of others.entries()) {
      for (let n = 0; n < 3; n++) {
        await insertTimelineEntry(h.handle.db, { customerId, occurredAt: new Date(Date.UTC(2026, 5, 1, n)), type: 'CASE', summary: `customer ${i} entry ${n}`, sourceType: 'Case', sourceId: randomUUID() });
      }
    }
    const ids = [...others.slice(0, 10), big, ...others.slice(10)];
    const { result, queries } = await recordQueries(h.handle.db, () => h.run(agent, timeline('(first: 2, types: [CASE, LOYALTY])'), entitiesOf(...ids)));
    expect(result.errors).toBeUndefined();
    expect(queries.filter((q) => q.includes('"timeline_entries"'))).toHaveLength(1);
    const pages = result.data._entities.map((c: any) => c.timeline);
    others.forEach((_, i) => {
      const page = pages[i < 10 ? i : i + 1];
      expect(page.edges.map((e: any) => e.node.summary)).toEqual([`customer ${i} entry 2`, `customer ${i} entry 1`]);
      expect(page.pageInfo.hasNextPage).toBe(true);
    });
    const bigIds = expected.filter((e) => e.type === 'CASE' || e.type === 'LOYALTY').slice(0, 2).map((e) => e.id);
    expect(pages[10].edges.map((e: any) => e.node.id)).toEqual(bigIds);
  });
});

describe('timeline projection of purchases, travel and contacts', () => {
  const customerId = randomUUID();
  const purchaseId = randomUUID();
  const tripId = randomUUID();
  const contactId = randomUUID();
  const event = (type: string, data: Record<string, unknown>, time: string): CloudEvent => ({
    specversion: '1.0',
    id: randomUUID(),
    source: type.split('.').slice(0, 2).join('.'),
    type,
    subject: `Customer/${customerId}`,
    time,
    datacontenttype: 'application/json',
    data: { customerId, ...data },
    customerid: customerId,
  });
  const events = [
    event(
      'cmp.customer.PurchaseRecorded',
      { purchaseId, orderReference: 'ORD-88121', channel: 'INFLIGHT', amountMinor: 123450, currency: 'EUR', reportingAmountMinor: 123450, flightNumber: 'IB6251', purchasedAt: '2026-11-01T09:30:00.000Z' },
      '2026-11-02T08:00:00.000Z',
    ),
    event(
      'cmp.customer.PurchaseRefunded',
      { purchaseId, orderReference: 'ORD-88121', refundMinor: 2550, currency: 'EUR', refundedMinor: 2550, status: 'PARTIALLY_REFUNDED', reason: 'Meal not served' },
      '2026-11-03T10:00:00.000Z',
    ),
    event(
      'cmp.customer.TripRecorded',
      { tripId, created: true, pnr: 'X7K2LM', ticketNumber: '0752100000001', flightNumber: 'IB6251', origin: 'MAD', destination: 'JFK', scheduledDeparture: '2026-12-10T11:55:00.000Z', cabin: 'BUSINESS', status: 'BOOKED' },
      '2026-11-04T10:00:00.000Z',
    ),
    event('cmp.customer.ContactAdded', { contactId, isPrimary: true, tags: [] }, '2026-11-05T10:00:00.000Z'),
    event('cmp.customer.ContactUpdated', { contactId, changed: ['email', 'phone'] }, '2026-11-06T10:00:00.000Z'),
    event('cmp.customer.CustomerStatusChanged', { fromStatus: 'ACTIVE', toStatus: 'SUSPENDED', reason: 'Fraud check', changedBy: 'manager-ines' }, '2026-11-07T10:00:00.000Z'),
  ];

  it('shows each event once with its type, summary, actor and link, newest first, however often events are replayed', async () => {
    for (const e of events) await timelineConsumer.handle(h.handle.db, e);
    const read = async () => (await page(customerId, '(first: 20)')).edges.map((e) => e.node);
    const once = await read();
    expect(once.map(({ occurredAt, type, summary, actor, link }: any) => ({ occurredAt: occurredAt.toISOString(), type, summary, actor, link }))).toEqual([
      { occurredAt: '2026-11-07T10:00:00.000Z', type: 'PROFILE', summary: 'Status ACTIVE → SUSPENDED: Fraud check', actor: 'manager-ines', link: `Customer:${customerId}` },
      { occurredAt: '2026-11-06T10:00:00.000Z', type: 'PROFILE', summary: 'Contact updated: email, phone', actor: 'system', link: `Contact:${contactId}` },
      { occurredAt: '2026-11-05T10:00:00.000Z', type: 'PROFILE', summary: 'Contact added as the primary contact', actor: 'system', link: `Contact:${contactId}` },
      { occurredAt: '2026-11-04T10:00:00.000Z', type: 'PURCHASE', summary: 'Trip IB6251 MAD→JFK on 2026-12-10, business (booked)', actor: 'system', link: `Trip:${tripId}` },
      { occurredAt: '2026-11-03T10:00:00.000Z', type: 'PURCHASE', summary: 'Partial refund of 25.50 EUR on ORD-88121: Meal not served', actor: 'system', link: `Purchase:${purchaseId}` },
      // A purchase sits on the timeline when it was made, not when it was recorded.
      { occurredAt: '2026-11-01T09:30:00.000Z', type: 'PURCHASE', summary: 'Purchase ORD-88121: 1,234.50 EUR (in-flight, IB6251)', actor: 'system', link: `Purchase:${purchaseId}` },
    ]);

    // Replaying every event, twice and in reverse order, changes nothing.
    for (const e of [...events].reverse()) await timelineConsumer.handle(h.handle.db, e);
    await Promise.all(events.map((e) => timelineConsumer.handle(h.handle.db, e)));
    expect(await read()).toEqual(once);
    const rows = (await h.handle.db.select().from(timelineEntries)).filter((r) => r.customerId === customerId);
    expect(rows).toHaveLength(events.length);
  });

  it('filters the projected entries by type', async () => {
    const purchases = (await page(customerId, '(types: [PURCHASE])')).edges.map((e) => e.node.link);
    expect(purchases).toEqual([`Trip:${tripId}`, `Purchase:${purchaseId}`, `Purchase:${purchaseId}`]);
  });
});
