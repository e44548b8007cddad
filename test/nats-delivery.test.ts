import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, parseSettings, resultRows, signDevToken, type SubgraphName } from '@cmp/platform';
import { createTestDatabase, deleteEventStreams, type TestDatabase } from '@cmp/platform/testing';
import { sql } from 'drizzle-orm';
import { eventually } from './platform-harness.ts';

const natsUrl = inject('cmpNatsUrl');
const root = path.resolve(import.meta.dirname, '..');

/**
 * One process per service, as docker-compose runs them, with events between them over the real NATS server: the
 * loyalty process's outbox reaches the invitation and interaction processes' consumers. On Postgres with
 * TEST_DATABASE_URL, else each service on its own embedded database.
 */
describe('events between services over NATS JetStream', () => {
  const namespace = `e${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  let database: TestDatabase | undefined;
  let env: NodeJS.ProcessEnv;
  const base = 4700 + Math.floor(Math.random() * 200);
  const ports = { loyalty: base, invitation: base + 1, interaction: base + 2 };

  const stopChildren = async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  };

  beforeAll(async () => {
    database = process.env.TEST_DATABASE_URL ? await createTestDatabase([]) : undefined;
    env = {
      ...process.env,
      ...(database ? { DATABASE_URL: database.url! } : {}),
      NATS_URL: natsUrl,
      EVENTS_NAMESPACE: namespace,
      CMP_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cmp-nats-')),
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      LOYALTY_PORT: String(ports.loyalty),
      INVITATION_PORT: String(ports.invitation),
      INTERACTION_PORT: String(ports.interaction),
      // Loyalty is never reachable for invitation: its eligibility answers come only from the last known tier,
      // which only loyalty's events can have put there.
      LOYALTY_URL: 'http://127.0.0.1:9/graphql',
    };
    if (!database) {
      const migrated = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', 'loyalty', 'invitation', 'interaction'], { cwd: root, env });
      expect(migrated.status, migrated.stderr.toString()).toBe(0);
    }
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
    await stopChildren();
    await database?.close();
    await deleteEventStreams(natsUrl, namespace);
  });

  it('delivers a loyalty enrolment to the invitation and interaction processes, once each', async () => {
    const customerId = randomUUID();
    const settings = parseSettings(env);
    const call = async (port: number, query: string, variables: Record<string, unknown>) => {
      const token = await signDevToken(settings, { roles: ['Admin'], expiresIn: '10m' });
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: any; errors?: unknown[] };
    };
    const enrolled = await call(ports.loyalty, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { tier } }', { input: { customerId, tier: 'PLATINO' } });
    expect(enrolled.errors).toBeUndefined();

    await eventually(async () => {
      const timeline = await call(
        ports.interaction,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { timeline { edges { node { type } } } } } }',
        { r: [{ __typename: 'Customer', id: customerId }] },
      );
      expect(timeline.data._entities[0].timeline.edges.map((e: any) => e.node.type)).toEqual(['LOYALTY']);
      const issued = await call(ports.invitation, 'mutation($input: IssueInvitationInput!) { issueInvitation(input: $input) { eligibilitySource eligibilityTier } }', {
        input: {
          customerId,
          loungeCode: 'MAD-VELAZQUEZ',
          validFrom: new Date().toISOString(),
          validUntil: new Date(Date.now() + 3_600_000).toISOString(),
          flightNumber: 'IB6253',
        },
      });
      expect(issued.data?.issueInvitation).toEqual({ eligibilitySource: 'LAST_KNOWN_TIER', eligibilityTier: 'PLATINO' });
    }, 15_000);

    // Then, with the services stopped, the stored state: each consumer applied the event once, nothing is left to send.
    await stopChildren();
    const read = async (schema: SubgraphName, query: ReturnType<typeof sql>) => {
      const handle = await openDatabase({ schema, url: database?.url, dataDir: env.CMP_DATA_DIR });
      try {
        return resultRows<Record<string, unknown>>(await handle.db.execute(query));
      } finally {
        await handle.close();
      }
    };
    const [known] = await read('invitation', sql`select tier from invitation.known_tiers where customer_id = ${customerId}`);
    expect(known?.tier).toBe('PLATINO');
    const timeline = await read('interaction', sql`select type from interaction.timeline_entries where customer_id = ${customerId}`);
    expect(timeline.map((t) => t.type)).toEqual(['LOYALTY']);
    const [outbox] = await read('loyalty', sql`select count(*)::int as pending from loyalty.outbox where published_at is null`);
    expect(outbox!.pending).toBe(0);
  });
});
