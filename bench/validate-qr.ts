/**
 * The lounge door at rush hour: `validateQr` throughput and latency through the gateway and straight to the
 * invitation subgraph, against local Postgres, beside a pgbench single-row UPDATE at the same concurrency as the
 * physical reference.
 *
 *   pnpm bench:qr                                     # 16 connections, 15 s per scenario, one process
 *   BENCH_LAYOUT=processes pnpm bench:qr              # one process per service, as deployed
 *   BENCH_CONNECTIONS=32 BENCH_SECONDS=20 pnpm bench:qr
 *
 * Every request scans a different valid code (invitations inserted in bulk, codes signed with the platform's own
 * key ring), so each one is a full redemption: signature, window, the conditional UPDATE, the scan row and its
 * QrScanned event in one transaction. Afterwards the scan log is checked: every answered scan must be ADMITTED.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { readKeyRing } from '@cmp/subgraph-invitation/qr-keys';
import { signQr } from '@cmp/subgraph-invitation/qr';
import { connections, databaseUrl, drive, footer, percentile, seconds, startBenchPlatform, urlOf, warmUpSeconds } from './support.ts';

const platform = await startBenchPlatform();
const admin = await platform.token(['Admin']);
const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });

// One real invitation through the whole path first (loyalty eligibility included), then the crowd in bulk.
const { createCustomer } = await platform.graphql(admin, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
  i: { type: 'INDIVIDUAL', firstName: 'Rush', lastName: 'Hour', primaryEmail: `rush.${Date.now()}@example.com` },
});
const customerId = createCustomer.id as string;
await platform.graphql(admin, 'mutation($i: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $i) { id } }', { i: { customerId, tier: 'ORO' } });
await platform.graphql(admin, 'mutation($i: IssueInvitationInput!) { issueInvitation(input: $i) { id } }', {
  i: { customerId, loungeCode: 'MAD-VELAZQUEZ', validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil: new Date(Date.now() + 3_600_000).toISOString(), guests: 1, flightNumber: 'IB6253' },
});

const keys = await readKeyRing(platform.settings.invitation.qrKeysFile);
const perScenario = Math.ceil(4_000 * (seconds + warmUpSeconds));
async function codes(count: number): Promise<string[]> {
  const rows = await sql<{ id: string; valid_from: Date; valid_until: Date }[]>`
    insert into invitation.invitations (customer_id, lounge_code, valid_from, valid_until, guests, flight_number, issued_by, qr_key_id)
    select ${customerId}, 'MAD-VELAZQUEZ', date_trunc('second', now()) - interval '1 hour', date_trunc('second', now()) + interval '6 hours',
           0, 'IB6253', 'bench', ${keys.activeKeyId}
    from generate_series(1, ${count})
    returning id, valid_from, valid_until`;
  return rows.map((r) =>
    signQr({ invitationId: r.id, notBefore: r.valid_from, expiresAt: r.valid_until, loungeCode: 'MAD-VELAZQUEZ', guests: 0 }, keys.active),
  );
}

// CPU per request of the tiers that serve a scan (one process each in the `processes` layout).
const tiers: Record<string, number> =
  'gateway' in platform.pids ? { gateway: platform.pids.gateway!, invitation: platform.pids.invitation! } : { platform: platform.pids.platform! };

const door = await platform.token(['LoungeDevice'], { loungeCode: 'MAD-VELAZQUEZ', subject: 'bench-door-1' });
const headers = { authorization: `Bearer ${door}` };
const query = 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome entriesRemaining } }';
const scanning = (payloads: string[]) => () => JSON.stringify({ query, variables: { input: { payload: payloads.pop() ?? 'LX1:EXHAUSTED', idempotencyKey: randomUUID() } } });
const forged = JSON.stringify({ query, variables: { input: { payload: `LX1:${'A'.repeat(162)}` } } });

async function admittedSince(since: Date) {
  const [row] = await sql<{ admitted: number; other: number }[]>`
    select count(*) filter (where outcome = 'ADMITTED')::int as admitted, count(*) filter (where outcome <> 'ADMITTED')::int as other
    from invitation.scans where scanned_at >= ${since} and device_id = 'bench-door-1'`;
  return row!;
}

async function scenario(name: string, url: string) {
  const payloads = await codes(perScenario);
  const since = new Date();
  const row = await drive(name, { url, headers, body: scanning(payloads) }, { cpu: tiers });
  const log = await admittedSince(since);
  if (payloads.length === 0) throw new Error('ran out of codes: raise perScenario');
  return { ...row, 'not ADMITTED': log.other, errors: row.errors + log.other };
}

/** pgbench: one single-row UPDATE per transaction, same client count, per-transaction latencies from its log. */
async function pgbench() {
  await sql`create schema if not exists bench`;
  await sql`create table if not exists bench.counters (id int primary key, n bigint not null default 0)`;
  await sql`insert into bench.counters (id) select g from generate_series(1, 100000) g on conflict do nothing`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cmp-pgbench-'));
  const script = path.join(dir, 'update.sql');
  await writeFile(script, '\\set id random(1, 100000)\nupdate bench.counters set n = n + 1 where id = :id;\n');
  const { stdout } = await promisify(execFile)('pgbench', ['-n', '-c', String(connections), '-j', '2', '-T', String(seconds), '-f', script, '-l', '--log-prefix', path.join(dir, 'tx'), databaseUrl]);
  const latencies: number[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.startsWith('tx'))) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line && Number.isFinite(micros)) latencies.push(micros / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const ms = (v: number) => Number(v.toFixed(1));
  return { scenario: 'pgbench single-row UPDATE', 'req/s': Math.round(tps), 'p50 ms': ms(percentile(latencies, 50)), 'p95 ms': ms(percentile(latencies, 95)), 'p99 ms': ms(percentile(latencies, 99)), errors: 0, requests: latencies.length };
}

const rows = [
  await scenario('validateQr, gateway', urlOf('gateway')),
  await scenario('validateQr, invitation subgraph direct', urlOf('invitation')),
  await drive('forged code (INVALID, no database), gateway', { url: urlOf('gateway'), headers, body: forged }, { cpu: tiers }),
  await pgbench(),
];
console.table(rows);
const [gateway, direct, , reference] = rows;
console.log(
  `ratios: gateway/direct ${(gateway!['req/s'] / direct!['req/s']).toFixed(2)}, gateway/pgbench ${(gateway!['req/s'] / reference!['req/s']).toFixed(2)}, direct/pgbench ${(direct!['req/s'] / reference!['req/s']).toFixed(2)}`,
);
console.log(footer());
await sql.end();
platform.stop();
process.exit(0);
