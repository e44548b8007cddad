/**
 * What every benchmark shares: a bench database, the platform started in server mode as a child process on
 * ports 4100-4105, tokens, and autocannon runs with exact percentiles over every response.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSettings, signDevToken, type Role, type Settings } from '@cmp/platform';
import autocannon from 'autocannon';
import postgres from 'postgres';

export const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cmp_bench';
export const seconds = Number(process.env.BENCH_SECONDS ?? 15);
export const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Seconds of load before each measured run: JIT, connection pools, query plans and prepared statements settle. */
export const warmUpSeconds = Number(process.env.BENCH_WARMUP ?? 5);

export const PORTS = { gateway: 4100, customer: 4101, interaction: 4102, case: 4103, invitation: 4104, loyalty: 4105 };
export const urlOf = (service: keyof typeof PORTS) => `http://127.0.0.1:${PORTS[service]}/graphql`;

export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = postgres({
    host: target.hostname,
    port: Number(target.port || 5432),
    user: decodeURIComponent(target.username),
    password: decodeURIComponent(target.password),
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });
  const exists = await admin`select 1 from pg_database where datname = ${name}`;
  if (exists.length === 0) await admin.unsafe(`create database "${name}"`);
  await admin.end();
}

export interface BenchPlatform {
  settings: Settings;
  dataDir: string;
  /** Process id per service in the `processes` layout (the one process under `single`). */
  pids: Record<string, number>;
  token(roles: Role[], extra?: { loungeCode?: string; subject?: string; customerId?: string }): Promise<string>;
  graphql(token: string, query: string, variables?: Record<string, unknown>): Promise<any>;
  stop(): void;
}

/**
 * The platform against the bench database (created if missing), ready to serve. `layout: 'processes'` runs one
 * process per service as docker-compose does (migrations first, as `pnpm db:migrate`), so the gateway and the
 * subgraphs use separate cores; the default is `pnpm start`'s single process.
 */
export async function startBenchPlatform(
  extraEnv: Record<string, string> = {},
  layout: 'single' | 'processes' = (process.env.BENCH_LAYOUT as 'processes' | undefined) ?? 'single',
): Promise<BenchPlatform> {
  await ensureDatabase(databaseUrl);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-bench-'));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CMP_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    PORT: String(PORTS.gateway),
    CUSTOMER_PORT: String(PORTS.customer),
    INTERACTION_PORT: String(PORTS.interaction),
    CASE_PORT: String(PORTS.case),
    INVITATION_PORT: String(PORTS.invitation),
    LOYALTY_PORT: String(PORTS.loyalty),
    DATABASE_POOL_SIZE: '20',
    ...extraEnv,
  };
  // BENCH_PROFILE=<service> writes that service's CPU profile (processes layout) to BENCH_PROFILE_DIR.
  const profile = (service: string | undefined) =>
    process.env.BENCH_PROFILE && process.env.BENCH_PROFILE === service ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? 'bench/profiles'}`] : [];
  const tsx = (script: string, ...args: string[]) =>
    spawn(process.execPath, [...profile(args[0]), '--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let children: Record<string, ChildProcess>;
  if (layout === 'processes') {
    const migrate = tsx('scripts/migrate.ts');
    await new Promise((resolve) => migrate.once('exit', resolve));
    const services = ['customer', 'interaction', 'case', 'loyalty', 'invitation', 'gateway'];
    children = Object.fromEntries(services.map((service) => [service, tsx('scripts/serve.ts', service)]));
  } else {
    children = { platform: tsx('scripts/start.ts') };
  }
  const stop = () => Object.values(children).forEach((c) => c.kill('SIGTERM'));
  process.on('exit', stop);
  for (let i = 0; ; i++) {
    const ready = await fetch(`http://127.0.0.1:${PORTS.gateway}/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 120) throw new Error('the platform did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  const settings = parseSettings(env);
  return {
    settings,
    dataDir,
    pids: Object.fromEntries(Object.entries(children).map(([name, child]) => [name, child.pid!])),
    token: (roles, extra = {}) =>
      signDevToken(settings, { roles, subject: extra.subject ?? 'bench', loungeCode: extra.loungeCode ?? null, customerId: extra.customerId ?? null, expiresIn: '1h' }),
    async graphql(token, query, variables = {}) {
      const response = await fetch(urlOf('gateway'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    stop,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Scenario {
  url: string;
  headers: Record<string, string>;
  /** One body for every request, or a function giving each request its own. */
  body: string | (() => string);
}

function run(scenario: Scenario, duration: number, load = connections) {
  const samples: number[] = [];
  const { body } = scenario;
  const options: autocannon.Options = {
    url: scenario.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...scenario.headers },
    connections: load,
    duration,
    ...(typeof body === 'string' ? { body } : { requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }] }),
  };
  return new Promise<{ result: autocannon.Result; samples: number[] }>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve({ result, samples })));
    instance.on('response', (_client, _status, _bytes, responseTime) => samples.push(responseTime));
  });
}

const ms = (v: number) => Number(v.toFixed(1));

/** CPU time (user + system, in clock ticks of 10 ms) of a process from /proc; 0 where there is no /proc. */
function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Every Postgres process on this machine (the bench database is local). */
function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres');
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/**
 * Where the CPU of a run went: milliseconds of CPU per request in each named process, in Postgres and in this
 * load generator. On a shared machine this, not the latency, says what a request costs each tier.
 */
export function cpuMeter(pids: Record<string, number>) {
  const sample = (): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuTicks(pid)])),
    postgres: postgresPids().reduce((sum, pid) => sum + cpuTicks(pid), 0),
    'load generator': cpuTicks(process.pid),
  });
  const before = sample();
  return (requests: number) => {
    const after = sample();
    return Object.fromEntries(
      Object.entries(after).map(([name, ticks]) => [`cpu ms/req ${name}`, Number((((ticks - before[name]!) * 10) / Math.max(1, requests)).toFixed(2))]),
    );
  };
}

/** A warm-up (BENCH_WARMUP seconds), then the measured run. */
export async function drive(name: string, scenario: Scenario, options: { warmUp?: boolean; load?: number; cpu?: Record<string, number> } = {}) {
  if (options.warmUp ?? true) await run(scenario, warmUpSeconds, options.load);
  const meter = options.cpu ? cpuMeter(options.cpu) : null;
  const { result, samples } = await run(scenario, seconds, options.load);
  const cpu = meter?.(samples.length) ?? {};
  samples.sort((a, b) => a - b);
  return {
    scenario: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': ms(percentile(samples, 50)),
    'p95 ms': ms(percentile(samples, 95)),
    'p99 ms': ms(percentile(samples, 99)),
    errors: result.errors + result.non2xx + result.timeouts,
    requests: samples.length,
    ...cpu,
  };
}

export function footer(): string {
  const layout = process.env.BENCH_LAYOUT === 'processes' ? 'one process per service' : 'single process (pnpm start)';
  return `node ${process.version}, ${os.cpus().length} cores, ${connections} connections, ${seconds} s per scenario, ${layout}`;
}
