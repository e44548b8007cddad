import { randomUUID } from 'node:crypto';
import { DATA_EXPORT_REQUESTED, DATA_EXPORT_SUBGRAPHS, dataExportSectionFailed, dataExportSectionReady, type CloudEvent } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../src/db/schema.ts';
import { dataExportProgressConsumer } from '../src/domain/data-export.ts';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer } from './factories.ts';

/** The customer subgraph's side of a data-subject export: the request, and progress from the sections' events. */
let h: SubgraphHarness;
const admin = callerWith('Admin');
const dpo = callerWith('DataPrivacyOfficer', { mfa: true, subject: 'dpo-1' });

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
}, 300_000);
afterAll(() => h?.close());

const REQUEST = 'mutation($id: ID!) { requestDataSubjectExport(customerId: $id) { id customerId status sectionsReady } }';
const PROGRESS = 'query($id: ID!) { dataSubjectExport(id: $id) { status sectionsReady readySections failures startedAt completedAt } }';

function section(subgraph: string, exportId: string, failure?: string): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `cmp.${subgraph}`,
    type: failure ? dataExportSectionFailed(subgraph) : dataExportSectionReady(subgraph),
    subject: `DataSubjectExport/${exportId}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { exportId, subgraph, ...(failure ? { failure } : { recordCount: 3 }) },
  };
}

async function exportOf(customerId: string) {
  const result = await h.run(dpo, REQUEST, { id: customerId });
  expect(result.errors).toBeUndefined();
  return result.data.requestDataSubjectExport as { id: string; customerId: string; status: string };
}

const progress = async (id: string) => (await h.run(dpo, PROGRESS, { id })).data.dataSubjectExport;

describe('data-subject export progress', () => {
  it('counts each subgraph once and completes with all five', async () => {
    const { id: customerId } = await createdCustomer(h, admin);
    const started = await exportOf(customerId);
    expect(started).toMatchObject({ customerId, status: 'PENDING', sectionsReady: 0 });
    const [announced] = await h.handle.db.select().from(outbox).where(and(eq(outbox.type, DATA_EXPORT_REQUESTED), eq(outbox.aggregateId, started.id)));
    expect(announced!.data).toMatchObject({ exportId: started.id, customerId, customerIds: [customerId], requestedBy: 'dpo-1' });

    // Asked again while it runs: the same export.
    expect((await exportOf(customerId)).id).toBe(started.id);

    const ready = section('loyalty', started.id);
    await dataExportProgressConsumer.handle(h.handle.db, ready);
    await dataExportProgressConsumer.handle(h.handle.db, { ...ready, id: randomUUID() });
    expect(await progress(started.id)).toMatchObject({ status: 'RUNNING', sectionsReady: 1, readySections: ['loyalty'], completedAt: null });
    for (const subgraph of DATA_EXPORT_SUBGRAPHS) await dataExportProgressConsumer.handle(h.handle.db, section(subgraph, started.id));
    const done = await progress(started.id);
    expect(done).toMatchObject({ status: 'COMPLETED', sectionsReady: 5, failures: [] });
    expect(done.completedAt).not.toBeNull();

    // Once complete, a new request is a new export.
    expect((await exportOf(customerId)).id).not.toBe(started.id);
  });

  it('fails when a subgraph could not build its section, with its reason', async () => {
    const { id: customerId } = await createdCustomer(h, admin);
    const { id } = await exportOf(customerId);
    await dataExportProgressConsumer.handle(h.handle.db, section('customer', id));
    await dataExportProgressConsumer.handle(h.handle.db, section('case', id, 'building the case section failed: timeout'));
    await dataExportProgressConsumer.handle(h.handle.db, section('case', id, 'building the case section failed: timeout'));
    expect(await progress(id)).toMatchObject({
      status: 'FAILED',
      sectionsReady: 1,
      readySections: ['customer'],
      failures: ['case: building the case section failed: timeout'],
    });
  });

  it('exports the customer a merged duplicate lives in, with the duplicate', async () => {
    const target = await createdCustomer(h, admin);
    const duplicate = await createdCustomer(h, admin);
    const merged = await h.run(admin, 'mutation($i: MergeCustomersInput!) { mergeCustomers(input: $i) { id } }', { i: { sourceCustomerId: duplicate.id, targetCustomerId: target.id } });
    expect(merged.errors).toBeUndefined();
    const started = await exportOf(duplicate.id);
    expect(started.customerId).toBe(target.id);
    const [announced] = await h.handle.db.select().from(outbox).where(and(eq(outbox.type, DATA_EXPORT_REQUESTED), eq(outbox.aggregateId, started.id)));
    expect((announced!.data as { customerIds: string[] }).customerIds.sort()).toEqual([target.id, duplicate.id].sort());
  });
});
