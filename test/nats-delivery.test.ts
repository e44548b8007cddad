import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSettings, signDevToken } from '@cmp/platform';
import { createTestDatabase, type TestDatabase } from '@cmp/platform/testing';
import { eventually } from './platform-harness.ts';

const natsUrl = process.env.TEST_NATS_URL;
const root = path.resolve(import.meta.dirname, '..');

/**
 * One process per service, as docker-compose runs them, with events between them over the real NATS server: the
 * loyalty process's outbox reaches the invitation and interaction processes' consumers.
 */
describe.skipIf(!natsUrl || !process.env.TEST_DATABASE_URL)('events between services over NATS JetStream', () => {
  const namespace = `e${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const base = 4700 + Math.floor(Math.random() * 200);
  const ports = { loyalty: base, invitation: base + 1, interaction: base + 2 };

  beforeAll(async () => {
    database = await createTestDatabase([]);
    env = {
      ...process.env,
      DATABASE_URL: database.url!,
      NATS_URL: natsUrl,
      EVENTS_NAMESPACE: namespace,
      CMP_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cmp-nats-')),
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      LOYALTY_PORT: String(ports.loyalty),
      INVITATION_PORT: String(ports.invitation),
      INTERACTION_PORT: String(ports.interaction),
      LOYALTY_URL: `http://127.0.0.1:${ports.loyalty}/graphql`,
    };
    for (const service of ['loyalty', 'invitation', 'interaction']) {
      children.push(spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', service], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] }));
    }
    for (const port of Object.values(ports)) {
      await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        if (!response.ok) throw new Error('not yet');
      }, 30_000);
    }
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await database?.close();
    const nc = await connect({ servers: natsUrl! });
    const jsm = await nc.jetstreamManager();
    for (const stream of [`${namespace.toUpperCase()}_EVENTS`, `${namespace.toUpperCase()}_DEAD_LETTERS`]) await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  });

  it('delivers a loyalty enrolment to the invitation and interaction processes, once each', async () => {
    const customerId = randomUUID();
    const token = await signDevToken(parseSettings(env), { roles: ['Admin'], expiresIn: '10m' });
    const enrolled = await fetch(`http://127.0.0.1:${ports.loyalty}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { tier } }', variables: { input: { customerId, tier: 'PLATINO' } } }),
    }).then((r) => r.json() as Promise<{ data?: unknown; errors?: unknown }>);
    expect(enrolled.errors).toBeUndefined();

    const sql = postgres(database.url!, { max: 1, onnotice: () => {} });
    try {
      await eventually(async () => {
        const [known] = await sql`select tier from invitation.known_tiers where customer_id = ${customerId}`;
        expect(known?.tier).toBe('PLATINO');
        const timeline = await sql`select type from interaction.timeline_entries where customer_id = ${customerId}`;
        expect(timeline.map((t) => t.type)).toEqual(['LOYALTY']);
      }, 15_000);
      const [outbox] = await sql`select count(*)::int as pending from loyalty.outbox where published_at is null`;
      expect(outbox!.pending).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
