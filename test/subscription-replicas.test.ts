import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { deleteEventStreams } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { liveClient, subscribe, subscribersReady } from './live-client.ts';
import { bearer, enrolledMember, eventually, invitationFor, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

const natsUrl = inject('cmpNatsUrl');
const root = path.resolve(import.meta.dirname, '..');

/**
 * Two gateway replicas over NATS: replica A runs in this process with the five subgraphs (their outboxes relayed
 * to NATS, their consumers durable NATS consumers), replica B is a separate `scripts/serve.ts gateway` process
 * that knows nothing but the subgraphs' URLs and NATS. A client of B sees what happens through A.
 */
describe('subscriptions across gateway replicas', () => {
  const namespace = `s${randomUUID().slice(0, 8)}`;
  let t: TestPlatform;
  let replicaB: ChildProcess;
  let urlB: string;
  const clients: { dispose(): void | Promise<void> }[] = [];

  beforeAll(async () => {
    t = await startTestPlatform({ env: { NATS_URL: natsUrl, EVENTS_NAMESPACE: namespace } });
    const port = 5100 + Math.floor(Math.random() * 400);
    const urlOf = (name: string) => t.platform.subgraphs.find((s) => s.name === name)!.url;
    replicaB = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', 'gateway'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        CMP_DATA_DIR: t.dataDir, // the same development signing key
        NATS_URL: natsUrl,
        EVENTS_NAMESPACE: namespace,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        CUSTOMER_URL: urlOf('customer'),
        INTERACTION_URL: urlOf('interaction'),
        CASE_URL: urlOf('case'),
        INVITATION_URL: urlOf('invitation'),
        LOYALTY_URL: urlOf('loyalty'),
      },
    });
    urlB = `http://127.0.0.1:${port}/graphql`;
    await eventually(async () => {
      if (!(await fetch(`http://127.0.0.1:${port}/health`)).ok) throw new Error('not yet');
    }, 30_000);
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    if (replicaB && replicaB.exitCode === null) {
      replicaB.kill('SIGTERM');
      await new Promise((r) => replicaB.once('exit', r));
    }
    await t?.close();
    await deleteEventStreams(natsUrl, namespace);
  });

  it('delivers a scan made through replica A to a subscriber of replica B within a second, with customer, loyalty and invitation fields', async () => {
    const admin = bearer(await t.token('Admin'));
    const customerId = await enrolledMember(t.url, admin, 'INFINITA', { firstName: 'Marta', lastName: 'Quiroga' });
    const { id, qrCode } = await invitationFor(t.url, admin, customerId, { loungeCode: 'MAD-DALI', guests: 1 });

    const client = liveClient(urlB, await t.token('SupportAgent'));
    clients.push(client);
    const arrivals: { at: number; result: any }[] = [];
    const scans = subscribe(client, `subscription {
      qrScanned(loungeCode: "MAD-DALI") { outcome entriesRemaining invitation { id guests customer { displayName customerNumber loyalty { tier } } } }
    }`);
    const timeline = subscribe(client, 'subscription($c: ID!) { customerTimeline(customerId: $c) { type summary } }', { c: customerId });
    await subscribersReady(urlB, 'qrScanned', 1);
    await subscribersReady(urlB, 'customerTimeline', 1);
    const watch = setInterval(() => {
      while (arrivals.length < scans.results.length) arrivals.push({ at: Date.now(), result: scans.results[arrivals.length] });
    }, 5);

    const door = bearer(await t.token('LoungeDevice', { loungeCode: 'MAD-DALI' }));
    const scannedAt = Date.now();
    const scanned = await post(t.url, 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome } }', { input: { payload: qrCode.payload, idempotencyKey: randomUUID() } }, door);
    expect(scanned.data.validateQr.outcome).toBe('ADMITTED');

    await eventually(async () => expect(arrivals).toHaveLength(1), 1_000);
    clearInterval(watch);
    expect(arrivals[0]!.at - scannedAt).toBeLessThan(1_000);
    expect(arrivals[0]!.result).toEqual({
      data: {
        qrScanned: {
          outcome: 'ADMITTED',
          entriesRemaining: 1,
          invitation: { id, guests: 1, customer: { displayName: 'Marta Quiroga', customerNumber: expect.stringMatching(/^CUS-\d{6}$/), loyalty: { tier: 'INFINITA' } } },
        },
      },
    });
    await eventually(async () => {
      expect(timeline.results.map((r) => r.data.customerTimeline.type)).toContain('LOUNGE_VISIT');
    }, 2_000);
    expect(timeline.results.find((r) => r.data.customerTimeline.type === 'LOUNGE_VISIT').data.customerTimeline.summary).toBe(
      'Admitted to MAD-DALI (1 more entry on the invitation)',
    );
  });
});
