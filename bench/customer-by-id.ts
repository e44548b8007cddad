/**
 * Throughput and latency of one customer read, through the gateway and straight to the customer subgraph.
 *
 *   pnpm bench                       # against postgres://postgres@127.0.0.1:5432/cmp_bench (created if missing)
 *   BENCH_DATABASE_URL=... BENCH_SECONDS=20 BENCH_CONNECTIONS=50 pnpm bench
 *
 * Starts the platform in server mode (Postgres) as a child process on ports 4100-4105, seeds one customer with
 * loyalty, a case and an invitation, then drives each scenario with autocannon and prints requests per second
 * and p50/p95/p99 latency.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSettings, signDevToken } from '@cmp/platform';
import autocannon from 'autocannon';
import postgres from 'postgres';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cmp_bench';
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-bench-'));

async function ensureDatabase(url: string) {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = postgres({ ...Object.fromEntries(new URL(url).searchParams), host: target.hostname, port: Number(target.port || 5432), user: decodeURIComponent(target.username), password: decodeURIComponent(target.password), database: 'postgres', max: 1, onnotice: () => {} });
  const exists = await admin`select 1 from pg_database where datname = ${name}`;
  if (exists.length === 0) await admin.unsafe(`create database "${name}"`);
  await admin.end();
}

await ensureDatabase(databaseUrl);
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  CMP_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  PORT: '4100',
  CUSTOMER_PORT: '4101',
  INTERACTION_PORT: '4102',
  CASE_PORT: '4103',
  INVITATION_PORT: '4104',
  LOYALTY_PORT: '4105',
  DATABASE_POOL_SIZE: '20',
};
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const stopChild = () => child.kill('SIGTERM');
process.on('exit', stopChild);

const gatewayUrl = 'http://127.0.0.1:4100/graphql';
const subgraphUrl = 'http://127.0.0.1:4101/graphql';
for (let i = 0; ; i++) {
  const ready = await fetch('http://127.0.0.1:4100/ready').then((r) => r.ok, () => false);
  if (ready) break;
  if (i > 120) throw new Error('the platform did not become ready within 60 s');
  await new Promise((r) => setTimeout(r, 500));
}

const token = await signDevToken(parseSettings(env), { roles: ['Admin'], subject: 'bench', expiresIn: '1h' });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
async function graphql(query: string, variables: Record<string, unknown>) {
  const response = await fetch(gatewayUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
const { createCustomer } = await graphql('mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
  i: { type: 'INDIVIDUAL', firstName: 'Bench', lastName: 'Mark', primaryEmail: `bench.${Date.now()}@example.com` },
});
const id = createCustomer.id as string;
await graphql('mutation($i: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $i) { id } }', { i: { customerId: id, tier: 'ORO' } });

const customerOnly = JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id customerNumber displayName segment } }', variables: { id } });
const withLoyalty = JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id customerNumber displayName loyalty { tier aviosBalance } } }', variables: { id } });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs one scenario; latencies are taken from every response, so p95 is exact rather than read off a histogram. */
function run(url: string, body: string, duration: number) {
  const samples: number[] = [];
  return new Promise<{ result: autocannon.Result; samples: number[] }>((resolve, reject) => {
    const instance = autocannon({ url, method: 'POST', headers, body, connections, duration }, (error, result) =>
      error ? reject(error) : resolve({ result, samples }),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => samples.push(responseTime));
  });
}

async function drive(scenario: string, url: string, body: string) {
  await run(url, body, 2); // warm-up: JIT, connection pools, query plans
  const { result, samples } = await run(url, body, seconds);
  samples.sort((a, b) => a - b);
  const ms = (v: number) => Number(v.toFixed(1));
  return {
    scenario,
    'req/s': Math.round(result.requests.average),
    'p50 ms': ms(percentile(samples, 50)),
    'p95 ms': ms(percentile(samples, 95)),
    'p99 ms': ms(percentile(samples, 99)),
    errors: result.errors + result.non2xx,
  };
}

const rows = [
  await drive('customer by id, gateway', gatewayUrl, customerOnly),
  await drive('customer by id, customer subgraph direct', subgraphUrl, customerOnly),
  await drive('customer + loyalty, gateway (2 subgraphs)', gatewayUrl, withLoyalty),
];
console.table(rows);
console.log(`node ${process.version}, ${os.cpus().length} cores, ${connections} connections, ${seconds} s per scenario`);
stopChild();
process.exit(0);
