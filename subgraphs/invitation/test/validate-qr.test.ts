import { createLogger } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations, loungeDevices, outbox, scans } from '../src/db/schema.ts';
import { ScanRecorder } from '../src/domain/scan-recorder.ts';
import { validateQr } from '../src/domain/scans.ts';
import { invitationSubgraph } from '../src/index.ts';
import { QR_PREFIX } from '../src/qr/payload.ts';
import { decodeBase45, encodeBase45 } from '../src/qr/base45.ts';
import type { InvitationRuntime } from '../src/runtime.ts';
import { alteredCodes } from './mutations.ts';
import { agent, device, hours, issueFor, startLoyaltyStandIn, testRuntime, type LoyaltyStandIn } from './support.ts';

const VALIDATE = /* GraphQL */ `
  mutation($input: ValidateQrInput!) {
    validateQr(input: $input) { outcome entriesRemaining replayed invitation { id status entriesUsed guests loungeCode } }
  }
`;

let h: SubgraphHarness;
let loyalty: LoyaltyStandIn;
let runtime: InvitationRuntime;
const door = device('MAD-VELAZQUEZ');
const log = createLogger({ name: 'test', level: 'silent' });

beforeAll(async () => {
  h = await startSubgraphHarness(invitationSubgraph);
  loyalty = await startLoyaltyStandIn();
  runtime = await testRuntime(h.handle.db, loyalty.url);
});
afterAll(async () => {
  await h?.close();
  await loyalty?.close();
});

const scan = (payload: string, caller = door, idempotencyKey?: string) =>
  h.run(caller, VALIDATE, { input: { payload, ...(idempotencyKey ? { idempotencyKey } : {}) } });

/** Rows and events written so far: a scan that must cost no write leaves these as they were. */
const writes = async () => {
  const [s] = await h.handle.db.select({ n: count() }).from(scans);
  const [o] = await h.handle.db.select({ n: count() }).from(outbox);
  const used = await h.handle.db.select({ id: invitations.id, entriesUsed: invitations.entriesUsed, status: invitations.status }).from(invitations);
  return { scans: s!.n, outbox: o!.n, used };
};

describe('validateQr at the door', () => {
  it('admits the holder and one guest, then says ALREADY_USED, with the scans and events recorded', async () => {
    const invitation = await issueFor(h, loyalty);
    const first = await scan(invitation.qrCode.payload);
    expect(first.errors).toBeUndefined();
    expect(first.data.validateQr).toMatchObject({ outcome: 'ADMITTED', entriesRemaining: 1, replayed: false, invitation: { id: invitation.id, status: 'ISSUED', entriesUsed: 1 } });
    expect((await scan(invitation.qrCode.payload)).data.validateQr).toMatchObject({ outcome: 'ADMITTED', entriesRemaining: 0, invitation: { status: 'USED', entriesUsed: 2 } });
    expect((await scan(invitation.qrCode.payload)).data.validateQr).toMatchObject({ outcome: 'ALREADY_USED', entriesRemaining: 0 });

    const recorded = await h.handle.db.select().from(scans).where(eq(scans.invitationId, invitation.id));
    expect(recorded.map((s) => s.outcome).sort()).toEqual(['ADMITTED', 'ADMITTED', 'ALREADY_USED']);
    expect(recorded.every((s) => s.deviceId === door.subject && s.loungeCode === 'MAD-VELAZQUEZ')).toBe(true);
    const events = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, invitation.id))).map((e) => [e.type, e.data.outcome ?? e.data.status]);
    expect(events).toEqual([
      ['cmp.invitation.InvitationIssued', undefined],
      ['cmp.invitation.QrScanned', 'ADMITTED'],
      ['cmp.invitation.QrScanned', 'ADMITTED'],
      ['cmp.invitation.InvitationStatusChanged', 'USED'],
      ['cmp.invitation.QrScanned', 'ALREADY_USED'],
    ]);
    const data = (await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, invitation.id))).map((e) => e.data);
    expect(data[1]).toEqual({
      scanId: recorded.find((s) => s.entriesRemaining === 1)!.id,
      invitationId: invitation.id,
      customerId: invitation.customer.id,
      loungeCode: 'MAD-VELAZQUEZ',
      deviceId: door.subject,
      outcome: 'ADMITTED',
      admitted: 1,
      entriesRemaining: 1,
      scannedAt: expect.any(String),
    });
    expect(data[3]).toEqual({
      invitationId: invitation.id,
      customerId: invitation.customer.id,
      loungeCode: 'MAD-VELAZQUEZ',
      previousStatus: 'ISSUED',
      status: 'USED',
      entriesUsed: 2,
      reason: 'ENTRIES_EXHAUSTED',
      changedBy: door.subject,
    });
    const history = await h.run(agent, 'query($id: ID!) { invitation(id: $id) { entriesRemaining scans { outcome deviceId admitted } } }', { id: invitation.id });
    expect(history.data.invitation.entriesRemaining).toBe(0);
    expect(history.data.invitation.scans).toHaveLength(3);
  });

  it('answers REVOKED for a revoked code and WRONG_LOUNGE at another lounge\'s door', async () => {
    const invitation = await issueFor(h, loyalty);
    const atDali = await scan(invitation.qrCode.payload, device('MAD-DALI'));
    expect(atDali.data.validateQr).toEqual({ outcome: 'WRONG_LOUNGE', entriesRemaining: null, replayed: false, invitation: null });
    await h.run(agent, 'mutation($id: ID!) { revokeInvitation(id: $id, reason: "Flight cancelled") { id } }', { id: invitation.id });
    expect((await scan(invitation.qrCode.payload)).data.validateQr).toMatchObject({ outcome: 'REVOKED', entriesRemaining: null });
  });

  it('answers NOT_YET_VALID and EXPIRED from the code alone, recording them later in one batch', async () => {
    const early = await issueFor(h, loyalty, { validFrom: hours(3), validUntil: hours(10) });
    const recorder = new ScanRecorder(h.handle.db, log);
    const deferred = { ...runtime, recorder };
    const before = await writes();
    const caller = device();
    const ctx = { source: 'cmp.invitation' };
    expect((await validateQr(h.handle.db, caller, ctx, deferred, { payload: early.qrCode.payload }, log)).outcome).toBe('NOT_YET_VALID');
    const later = new Date(Date.now() + 11 * 3_600_000);
    expect((await validateQr(h.handle.db, caller, ctx, deferred, { payload: early.qrCode.payload }, log, later)).outcome).toBe('EXPIRED');
    expect(await writes()).toEqual(before);
    await recorder.flush();
    const recorded = await h.handle.db.select().from(scans).where(eq(scans.invitationId, early.id));
    expect(recorded.map((s) => s.outcome).sort()).toEqual(['EXPIRED', 'NOT_YET_VALID']);
    const events = await h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, early.id));
    expect(events.filter((e) => e.type === 'cmp.invitation.QrScanned').map((e) => e.customerId)).toEqual([early.customer.id, early.customer.id]);
  });

  it('answers INVALID for forged, truncated or altered codes (10,000 of them) with no database write', async () => {
    const invitation = await issueFor(h, loyalty);
    await scan(invitation.qrCode.payload, door, 'warm-up-device-1'); // the device is enrolled and cached
    const [row] = await h.handle.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    const before = await writes();
    const bytes = Buffer.from(decodeBase45(invitation.qrCode.payload.slice(QR_PREFIX.length))!);
    const altered = [
      'hello',
      '',
      invitation.qrCode.payload.slice(0, 60),
      QR_PREFIX + encodeBase45(Buffer.concat([bytes.subarray(0, 29), Buffer.from([5]), bytes.subarray(30)])),
      `${invitation.qrCode.payload.slice(0, -1)}${invitation.qrCode.payload.endsWith('0') ? '1' : '0'}`,
    ];
    for (const payload of altered) {
      const result = await scan(payload);
      expect(result.errors).toBeUndefined();
      expect(result.data.validateQr).toEqual({ outcome: 'INVALID', entriesRemaining: null, replayed: false, invitation: null });
    }
    // The acceptance: 10,000 random alterations, every one INVALID, and not one row or event written.
    const claims = { invitationId: invitation.id, notBefore: row!.validFrom, expiresAt: row!.validUntil, loungeCode: 'MAD-VELAZQUEZ', guests: 1 };
    const outcomes = new Map<string, number>();
    for (const payload of alteredCodes(invitation.qrCode.payload, claims, runtime.keys, 10_000)) {
      const result = await validateQr(h.handle.db, door, { source: 'cmp.invitation' }, runtime, { payload }, log);
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ INVALID: 10_000 });
    expect(await writes()).toEqual(before);
  });

  it('admits exactly two of 200 simultaneous scans of a one-guest code and tells the rest ALREADY_USED', async () => {
    const invitation = await issueFor(h, loyalty);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => scan(invitation.qrCode.payload, device('MAD-VELAZQUEZ', `door-${i % 4}`), `scan-${invitation.id}-${i}`)),
    );
    const outcomes = results.map((r) => r.data?.validateQr.outcome ?? r.errors?.[0]?.message);
    expect(outcomes.filter((o) => o === 'ADMITTED')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'ALREADY_USED')).toHaveLength(198);
    const [row] = await h.handle.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row).toMatchObject({ entriesUsed: 2, status: 'USED' });
    expect(await h.handle.db.select({ n: count() }).from(scans).where(eq(scans.invitationId, invitation.id))).toEqual([{ n: 200 }]);
  });

  it('admits once for 100 simultaneous retries under one idempotency key, each answering the first answer', async () => {
    const invitation = await issueFor(h, loyalty);
    const key = `door-retry-${invitation.id}`;
    const results = await Promise.all(Array.from({ length: 100 }, () => scan(invitation.qrCode.payload, door, key)));
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    expect(results.map((r) => [r.data.validateQr.outcome, r.data.validateQr.entriesRemaining])).toEqual(Array(100).fill(['ADMITTED', 1]));
    expect(results.filter((r) => !r.data.validateQr.replayed)).toHaveLength(1);
    const [row] = await h.handle.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row!.entriesUsed).toBe(1);
    expect(await h.handle.db.select({ n: count() }).from(scans).where(eq(scans.invitationId, invitation.id))).toEqual([{ n: 1 }]);
    // A new key is a new scan: the guest is admitted.
    expect((await scan(invitation.qrCode.payload, door, `${key}-guest`)).data.validateQr).toMatchObject({ outcome: 'ADMITTED', entriesRemaining: 0, replayed: false });
    expect((await scan(invitation.qrCode.payload, door, key)).data.validateQr).toMatchObject({ outcome: 'ADMITTED', entriesRemaining: 1, replayed: true });
  });
});

describe('who may scan', () => {
  it('is only lounge devices, each enrolled to one lounge, refused once disabled', async () => {
    const invitation = await issueFor(h, loyalty);
    for (const role of ['Admin', 'CheckInAgent', 'Customer'] as const) {
      const result = await scan(invitation.qrCode.payload, callerWith(role, { customerId: invitation.customer.id }));
      expect(result.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    const scanner = device('MAD-VELAZQUEZ', 'door-roaming');
    expect((await scan('LX1:00', scanner)).data.validateQr.outcome).toBe('INVALID');
    const [enrolled] = await h.handle.db.select().from(loungeDevices).where(eq(loungeDevices.id, 'door-roaming'));
    expect(enrolled).toMatchObject({ loungeCode: 'MAD-VELAZQUEZ', enabled: true, registeredBy: 'first-scan' });
    const moved = await scan(invitation.qrCode.payload, device('MAD-DALI', 'door-roaming'));
    expect(moved.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringMatching(/registered to MAD-VELAZQUEZ/) });
    const unknownLounge = await scan(invitation.qrCode.payload, device('LHR-GALLERIES', 'door-lhr'));
    expect(unknownLounge.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const admin = callerWith('Admin');
    const disabled = await h.run(admin, 'mutation { disableLoungeDevice(id: "door-roaming", reason: "Reported stolen") { enabled disabledReason } }');
    expect(disabled.data.disableLoungeDevice).toEqual({ enabled: false, disabledReason: 'Reported stolen' });
    expect((await scan(invitation.qrCode.payload, scanner)).errors?.[0]?.message).toMatch(/disabled/);
    await h.run(admin, 'mutation { enableLoungeDevice(id: "door-roaming") { enabled } }');
    expect((await scan(invitation.qrCode.payload, scanner)).data.validateQr.outcome).toBe('ADMITTED');
  });

  it('names the rule when the idempotency key is malformed', async () => {
    const invitation = await issueFor(h, loyalty);
    const result = await scan(invitation.qrCode.payload, door, 'short');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
  });
});

describe('the QR on the invitation', () => {
  it('gives the holder their code as payload, SVG and PNG, the same code on every read', async () => {
    const invitation = await issueFor(h, loyalty);
    const owner = callerWith('Customer', { customerId: invitation.customer.id });
    const read = () => h.run(owner, 'query($id: ID!) { invitation(id: $id) { qrCode { payload svg pngBase64 } } }', { id: invitation.id });
    const [a, b] = [await read(), await read()];
    expect(a.errors).toBeUndefined();
    expect(a.data.invitation.qrCode.payload).toBe(invitation.qrCode.payload);
    expect(b.data.invitation.qrCode.payload).toBe(a.data.invitation.qrCode.payload);
    expect(a.data.invitation.qrCode.svg).toMatch(/^<svg/);
    expect(Buffer.from(a.data.invitation.qrCode.pngBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), 'query($id: ID!) { invitation(id: $id) { qrCode { payload } } }', { id: invitation.id });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
