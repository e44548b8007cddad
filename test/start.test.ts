import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-start-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

// One cold start of the whole platform, beside the rest of the suite: more than the default 30 s on a busy box.
it('starts the whole platform with one command, seeds demo data, prints the explorer URL and stops cleanly on SIGTERM', async () => {
  const ports = { PORT: '0', CUSTOMER_PORT: '0', INTERACTION_PORT: '0', CASE_PORT: '0', INVITATION_PORT: '0', LOYALTY_PORT: '0' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, ...ports, CMP_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    const explorer = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no explorer URL within 60 s:\n${output}`)), 60_000);
      child.stdout.on('data', () => {
        const match = /GraphQL explorer:\s+(\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    expect(explorer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect((await fetch(new URL('/ready', explorer))).status).toBe(200);
    const page = await fetch(explorer, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const seeded = JSON.parse(await readFile(path.join(dataDir, 'seeded.json'), 'utf8'));
    expect(seeded).toMatchObject({ customers: 8, loyaltyAccounts: 5, cases: 3, invitations: 3, interactions: 4, loungeDevices: 3, caseQueues: 2 });
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await Promise.race([once(child, 'exit'), new Promise((_, reject) => setTimeout(() => reject(new Error('did not stop within 15 s')), 15_000))]) as [number];
  expect(code).toBe(0);
}, 120_000);
