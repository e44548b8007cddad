import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import postgres from 'postgres';
import { freePort } from './nats-server.ts';

/**
 * Servers a spec may kill and restart: its own nats-server and its own Postgres cluster, never the shared ones.
 * They need `nats-server` and Postgres's `initdb`/`pg_ctl` on the PATH (both are on the machines this runs on);
 * without them the spec fails and says so.
 */
export interface RestartableServer {
  url: string;
  /** Kills the server at once (SIGKILL for NATS, an immediate shutdown for Postgres). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

const waitUntil = async (ready: () => Promise<boolean>, what: string) => {
  for (let i = 0; !(await ready()); i++) {
    if (i > 100) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

export async function privateNats(): Promise<RestartableServer> {
  if (spawnSync('nats-server', ['--version']).error) throw new Error('nats-server is not on the PATH (https://nats.io/download)');
  const port = await freePort();
  const store = await mkdtemp(path.join(os.tmpdir(), 'cmp-private-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const up = async () => {
    try {
      const nc = await connect({ servers: url, timeout: 500, reconnect: false });
      await nc.close();
      return true;
    } catch {
      return false;
    }
  };
  const server: RestartableServer = {
    url,
    async start() {
      child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: 'ignore' });
      await waitUntil(up, `nats-server on ${url}`);
    },
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      running.kill('SIGKILL');
      await new Promise((r) => running.once('exit', r));
    },
    async dispose() {
      await server.kill();
      await rm(store, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export async function privatePostgres(): Promise<RestartableServer> {
  if (spawnSync('initdb', ['--version']).error || spawnSync('pg_ctl', ['--version']).error) {
    throw new Error("Postgres's initdb and pg_ctl are not on the PATH");
  }
  // Postgres refuses to run as root; as root, run it as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const result = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args]) : spawnSync(command, args);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cmp-private-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout);
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout);
    await chown(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const up = async () => {
    const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  const server: RestartableServer = {
    url,
    async start() {
      run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
      await waitUntil(up, `Postgres on ${url}`);
    },
    async kill() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
    async dispose() {
      spawnSync(asRoot ? 'runuser' : 'pg_ctl', asRoot ? ['-u', 'postgres', '--', 'pg_ctl', '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop']);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
