import { randomUUID } from 'node:crypto';
import { DATA_EXPORT_EXPIRED, DATA_EXPORT_REQUESTED, dataExportConsumer, type CloudEvent } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, dataExportSections, outbox } from '../src/db/schema.ts';
import { loyaltyDataExportConsumer } from '../src/domain/data-export.ts';
import { loyaltySubgraph } from '../src/index.ts';
import { enrol } from './support.ts';

/** The loyalty subgraph's part of a data-subject export, driven by the events the customer subgraph publishes. */
let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(loyaltySubgraph);
}, 300_000);
afterAll(() => h?.close());

function event(type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'cmp.customer',
    type,
    subject: `DataSubjectExport/${String(data.exportId)}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    customerid: String(data.customerId),
  };
}

const requested = (exportId: string, customerId: string, customerIds = [customerId]) =>
  event(DATA_EXPORT_REQUESTED, { exportId, customerId, customerIds, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });

const announced = (exportId: string) =>
  h.handle.db.select({ type: outbox.type, data: outbox.data }).from(outbox).where(sql`${outbox.aggregateId} = ${exportId}`);

describe('loyalty section of a data-subject export', () => {
  it('stores every account of the customer and its merged duplicates once, and announces it once', async () => {
    const member = await enrol(h, 'ORO');
    const duplicate = await enrol(h, 'PLATA');
    const stranger = await enrol(h, 'PLATA');
    const exportId = randomUUID();
    const request = requested(exportId, member.customerId, [member.customerId, duplicate.customerId]);

    await loyaltyDataExportConsumer.handle(h.handle.db, request);
    await loyaltyDataExportConsumer.handle(h.handle.db, request);

    const [row] = await h.handle.db.select().from(dataExportSections).where(eq(dataExportSections.exportId, exportId));
    const section = row!.section as { accounts: { id: string; tier: string; memberNumber: string }[]; tierHistory: unknown[] };
    expect(section.accounts.map((a) => a.id).sort()).toEqual([member.accountId, duplicate.accountId].sort());
    expect(section.accounts.find((a) => a.id === member.accountId)).toMatchObject({ tier: 'ORO', memberNumber: member.memberNumber });
    expect(JSON.stringify(section)).not.toContain(stranger.accountId);
    expect(row).toMatchObject({ customerId: member.customerId, failure: null });
    expect(row!.recordCount).toBeGreaterThanOrEqual(2);
    expect(await announced(exportId)).toEqual([
      { type: 'cmp.loyalty.DataSubjectExportSectionReady', data: { exportId, customerId: member.customerId, subgraph: 'loyalty', recordCount: row!.recordCount } },
    ]);

    // Its export expired: the section goes.
    await loyaltyDataExportConsumer.handle(h.handle.db, event(DATA_EXPORT_EXPIRED, { exportId, customerId: member.customerId }));
    expect(await h.handle.db.select().from(dataExportSections).where(eq(dataExportSections.exportId, exportId))).toEqual([]);
  });

  it('records a section it cannot build as failed, with the reason, and says so once', async () => {
    const member = await enrol(h);
    const broken = dataExportConsumer({
      name: 'loyalty.data-export-broken',
      subgraph: 'loyalty',
      sections: dataExportSections,
      outbox,
      sources: [{ name: 'accounts', table: accounts, where: () => sql`no_such_column = 1` }],
    });
    const exportId = randomUUID();
    await broken.handle(h.handle.db, requested(exportId, member.customerId));
    await broken.handle(h.handle.db, requested(exportId, member.customerId));
    const [row] = await h.handle.db.select().from(dataExportSections).where(eq(dataExportSections.exportId, exportId));
    expect(row).toMatchObject({ section: {}, recordCount: 0 });
    expect(row!.failure).toMatch(/^building the loyalty section failed: /);
    const events = await announced(exportId);
    expect(events.map((e) => e.type)).toEqual(['cmp.loyalty.DataSubjectExportSectionFailed']);
    expect(events[0]!.data).toMatchObject({ exportId, subgraph: 'loyalty', failure: row!.failure });
  });

  it('serves a section only to the privacy officer with MFA or the customer itself', async () => {
    const member = await enrol(h, 'PLATINO');
    const exportId = randomUUID();
    await loyaltyDataExportConsumer.handle(h.handle.db, requested(exportId, member.customerId));
    const READ = '_entities(representations: $r) { ... on DataSubjectExport { id loyaltyData } }';
    const read = (caller: ReturnType<typeof callerWith>) =>
      h.run(caller, `query($r: [_Any!]!) { ${READ} }`, { r: [{ __typename: 'DataSubjectExport', id: exportId }] });

    const dpo = await read(callerWith('DataPrivacyOfficer', { mfa: true }));
    expect(dpo.errors).toBeUndefined();
    expect(dpo.data._entities[0].loyaltyData.accounts).toEqual([expect.objectContaining({ id: member.accountId, tier: 'PLATINO' })]);
    const self = await read(callerWith('Customer', { customerId: member.customerId }));
    expect(self.data._entities[0].loyaltyData.accounts[0].id).toBe(member.accountId);

    const noMfa = await read(callerWith('DataPrivacyOfficer'));
    expect(noMfa.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(noMfa.errors?.[0]?.message).toMatch(/multi-factor authentication/);
    for (const caller of [callerWith('LoyaltyManager'), callerWith('Customer', { customerId: randomUUID() })]) {
      const refused = await read(caller);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.data?._entities?.[0]?.loyaltyData ?? null).toBeNull();
    }
  });
});
