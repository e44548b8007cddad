import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';

/** True when a NATS server with JetStream answers at `url`. */
async function jetStreamAt(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1_500, reconnect: false });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestNats {
  url: string;
  stop(): Promise<void>;
}

const HELP =
  'The event-bus specs need NATS with JetStream. Set TEST_NATS_URL, run one on 127.0.0.1:4222 ' +
  '(docker run -p 4222:4222 nats:2.10 -js), or put nats-server (https://nats.io/download) on the PATH and the run starts its own.';

/**
 * The NATS server the specs run against, like Postgres: TEST_NATS_URL when set (it must answer), else the one on
 * 127.0.0.1:4222, else a `nats-server` from the PATH started for this run on a free port. With none of these the
 * run fails and says how to get one: the bus is never mocked and its specs never skipped.
 */
export async function provideNats(): Promise<TestNats> {
  const configured = process.env.TEST_NATS_URL;
  if (configured) {
    if (!(await jetStreamAt(configured))) throw new Error(`TEST_NATS_URL=${configured} does not answer with JetStream. ${HELP}`);
    return { url: configured, stop: async () => {} };
  }
  const local = 'nats://127.0.0.1:4222';
  if (await jetStreamAt(local)) return { url: local, stop: async () => {} };
  if (spawnSync('nats-server', ['--version']).error) throw new Error(`No NATS server found. ${HELP}`);
  const port = await freePort();
  const store = await mkdtemp(path.join(os.tmpdir(), 'cmp-nats-'));
  const child: ChildProcess = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; !(await jetStreamAt(url)); i++) {
    if (i > 50 || child.exitCode !== null) throw new Error(`nats-server did not start on ${url}. ${HELP}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(store, { recursive: true, force: true });
    },
  };
}
