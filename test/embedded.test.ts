import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTokenVerifier, parseSettings } from '@cmp/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, post, startTestPlatform } from './platform-harness.ts';

const run = promisify(execFile);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-embedded-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('embedded mode', () => {
  it('keeps customers, loyalty and invitations across a restart of the platform', async () => {
    const first = await startTestPlatform({ dataDir, embedded: true });
    const admin = bearer(await first.token('Admin'));
    const created = await post(first.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id customerNumber } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Elena', lastName: 'Vidal', primaryEmail: 'elena.vidal@example.com' },
    }, admin);
    const id = created.data.createCustomer.id;
    await post(first.url, 'mutation($input: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $input) { id } }', {
      input: { customerId: id, tier: 'PLATINO' },
    }, admin);
    await first.close();

    const second = await startTestPlatform({ dataDir, embedded: true });
    try {
      // The signing key is kept too, so a token from before the restart still works.
      const read = await post(second.url, 'query($id: ID!) { customer(id: $id) { customerNumber loyalty { tier } } }', { id }, admin);
      expect(read.errors).toBeUndefined();
      expect(read.data.customer).toEqual({ customerNumber: created.data.createCustomer.customerNumber, loyalty: { tier: 'PLATINO' } });
    } finally {
      await second.close();
    }
    // Two cold starts of five embedded databases, while the rest of the suite runs beside it.
  }, 120_000);
});

describe('pnpm token', () => {
  // The same pnpm that runs the tests (npx may have fetched it; it need not be on PATH).
  const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm'];
  const cli = (args: string[]) =>
    run(pnpm[0]!, [...pnpm.slice(1), 'token', ...args], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, CMP_DATA_DIR: dataDir },
    });

  it('prints exactly one token that the platform accepts, with the roles and claims asked for', async () => {
    const { stdout } = await cli(['--role', 'LoungeDevice', '--lounge', 'MAD-DALI', '--mfa']);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verifier = await createTokenVerifier(parseSettings({ CMP_DATA_DIR: dataDir }));
    const caller = await verifier.verify(`Bearer ${stdout.trim()}`);
    expect(caller).toMatchObject({ roles: ['LoungeDevice'], loungeCode: 'MAD-DALI', mfa: true, customerId: null });
  });

  it('refuses an unknown role and a Customer token without its customer, naming the problem', async () => {
    await expect(cli(['--role', 'Pilot'])).rejects.toMatchObject({ stderr: expect.stringMatching(/unknown role "Pilot"/) });
    await expect(cli(['--role', 'Customer'])).rejects.toMatchObject({ stderr: expect.stringMatching(/customer/) });
  });
});
