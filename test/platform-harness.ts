import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSettings, signDevToken, type Role, type Settings } from '@cmp/platform';
import { createTestDatabase, type TestDatabase } from '@cmp/platform/testing';
import { startPlatform, type RunningPlatform } from '../scripts/platform.ts';

export interface TestPlatform {
  platform: RunningPlatform;
  settings: Settings;
  dataDir: string;
  url: string;
  token(roles: Role | Role[], extra?: { customerId?: string; loungeCode?: string; mfa?: boolean; subject?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real platform (five subgraphs on their own HTTP ports, the gateway in front, all on free ports) on this
 * file's own database: a Postgres clone with TEST_DATABASE_URL, else PGlite in a temporary directory.
 */
export async function startTestPlatform(options: { dataDir?: string; embedded?: boolean; env?: Record<string, string> } = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'cmp-test-')));
  // With TEST_DATABASE_URL: this file's own clone of the migrated template (no handles: the platform opens its own).
  const database: TestDatabase | undefined = process.env.TEST_DATABASE_URL && !options.embedded ? await createTestDatabase([]) : undefined;
  const settings = parseSettings({
    CMP_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    SUBGRAPH_TIMEOUT_MS: '3000',
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const platform = await startPlatform(settings, { ephemeralPorts: true, migrate: !database });
  return {
    platform,
    settings,
    dataDir,
    url: platform.gateway.url,
    token: (roles, extra = {}) =>
      signDevToken(settings, { roles: Array.isArray(roles) ? roles : [roles], ...extra, expiresIn: '1h' }),
    async close() {
      await platform.close();
      await database?.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export async function post<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Retries an assertion until it holds or the time is up (for effects that arrive through events). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A customer created and enrolled in loyalty at `tier` through the gateway; returns its id. */
export async function enrolledMember(url: string, headers: Record<string, string>, tier: string, name = { firstName: 'Inés', lastName: 'Vidal' }): Promise<string> {
  const created = await post(url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { type: 'INDIVIDUAL', ...name, primaryEmail: `member.${Math.random().toString(36).slice(2, 10)}@example.com` },
  }, headers);
  const customerId = created.data.createCustomer.id as string;
  const enrolled = await post(url, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { tier } }', { input: { customerId, tier } }, headers);
  if (enrolled.errors) throw new Error(JSON.stringify(enrolled.errors));
  return customerId;
}

/** A lounge invitation valid from a minute ago for an hour; returns its id and QR (payload and PNG). */
export async function invitationFor(
  url: string,
  headers: Record<string, string>,
  customerId: string,
  input: { loungeCode: string; guests: number; flightNumber?: string },
): Promise<{ id: string; qrCode: { payload: string; pngBase64: string } }> {
  const issued = await post(url, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { id qrCode { payload pngBase64 } } }', {
    input: {
      customerId,
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date(Date.now() + 3_600_000).toISOString(),
      flightNumber: 'IB6275',
      ...input,
    },
  }, headers);
  if (issued.errors) throw new Error(JSON.stringify(issued.errors));
  return issued.data.issueInvitation;
}
