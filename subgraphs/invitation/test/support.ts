import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { callerWith, type SubgraphHarness } from '@cmp/platform/testing';
import { createLogger, type Database } from '@cmp/platform';
import { DeviceRegistry } from '../src/domain/devices.ts';
import { ScanRecorder } from '../src/domain/scan-recorder.ts';
import { LoyaltyEligibilityClient, decideLocally } from '../src/domain/eligibility.ts';
import { loadKeyRing } from '../src/qr/keys.ts';
import { configureInvitation, type InvitationRuntime } from '../src/runtime.ts';
import type { Cabin } from '../src/db/schema.ts';

/**
 * The loyalty subgraph's eligibility endpoint as a real HTTP server on loopback, so a test can make loyalty slow,
 * failing or gone. It answers with the rule of DOMAIN.md for the tier the test gave the customer.
 */
export interface LoyaltyStandIn {
  url: string;
  tiers: Map<string, string | null>;
  mode: 'ok' | 'error' | 'slow';
  calls: number;
  lastAuthorization: string | undefined;
  close(): Promise<void>;
}

export async function startLoyaltyStandIn(): Promise<LoyaltyStandIn> {
  const standIn = { tiers: new Map<string, string | null>(), mode: 'ok' as LoyaltyStandIn['mode'], calls: 0, lastAuthorization: undefined as string | undefined };
  const server = http.createServer((req, res) => {
    standIn.calls += 1;
    standIn.lastAuthorization = req.headers.authorization;
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (standIn.mode === 'error') {
      res.writeHead(503).end();
      return;
    }
    if (standIn.mode === 'slow') return; // never answers: the client's timeout must fire
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'no token' } }));
      return;
    }
    const customerId = url.searchParams.get('customerId')!;
    const tier = standIn.tiers.get(customerId) ?? null;
    const decision = decideLocally(url.searchParams.get('loungeCode')!, tier, url.searchParams.get('cabin') as Cabin, new Date(), 'LOYALTY', new Date());
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ ...decision, customerId, dataAsOf: new Date().toISOString() }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** A runtime with a fresh key ring in a temporary directory, asking `loyaltyUrl`. */
export async function testRuntime(db: Database, loyaltyUrl: string | null, overrides: Partial<InvitationRuntime> = {}): Promise<InvitationRuntime> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cmp-qr-'));
  return configureInvitation({
    keys: await loadKeyRing(path.join(dir, 'qr-signing-keys.json'), { create: true }),
    eligibility: { client: loyaltyUrl ? new LoyaltyEligibilityClient(loyaltyUrl, 300) : null, lastKnownTierMaxAgeSeconds: 3_600 },
    devices: new DeviceRegistry(),
    // Not started: specs that look at deferred scans flush it themselves.
    recorder: new ScanRecorder(db, createLogger({ name: 'test', level: 'silent' })),
    loungeDwellMinutes: 180,
    ...overrides,
  });
}

export const agent = callerWith('CheckInAgent');
export const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();

export const ISSUE = /* GraphQL */ `
  mutation($input: IssueInvitationInput!) {
    issueInvitation(input: $input) {
      id status loungeCode guests entriesUsed entriesRemaining validFrom validUntil flightNumber cabin
      eligibilitySource eligibilityReason eligibilityTier sentCount
      lounge { code terminal name capacity }
      customer { id }
    }
  }
`;

export const invite = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  loungeCode: 'MAD-VELAZQUEZ',
  validFrom: hours(-1),
  validUntil: hours(6),
  guests: 1,
  flightNumber: 'ib 6253',
  ...overrides,
});

/** Issues an invitation for a customer the stand-in knows as Oro, and returns it with its QR payload. */
export async function issueFor(h: SubgraphHarness, loyalty: LoyaltyStandIn, overrides: Record<string, unknown> = {}) {
  const customerId = (overrides.customerId as string | undefined) ?? crypto.randomUUID();
  loyalty.tiers.set(customerId, 'ORO');
  const issued = await h.run(agent, ISSUE.replace('sentCount', 'sentCount qrCode { payload }'), { input: invite(customerId, overrides) });
  if (issued.errors) throw new Error(JSON.stringify(issued.errors));
  return issued.data.issueInvitation as { id: string; guests: number; qrCode: { payload: string }; customer: { id: string } };
}

export const device = (loungeCode = 'MAD-VELAZQUEZ', subject = `door-${loungeCode.toLowerCase()}-1`) =>
  callerWith('LoungeDevice', { loungeCode, subject });
