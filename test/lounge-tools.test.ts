import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, enrolledMember, invitationFor, startTestPlatform, type TestPlatform } from './platform-harness.ts';

const root = path.resolve(import.meta.dirname, '..');
const exec = promisify(execFile);

/** Runs one of the project's scripts as a user would (`pnpm scan ...`), returning its output and exit code. */
async function script(name: string, args: string[], dataDir: string) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], {
      cwd: root,
      env: { ...process.env, CMP_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the lounge device simulator', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(() => t?.close());

  it('reads the QR from a PNG file, asks the gateway as the door would, and prints the outcome', async () => {
    const admin = bearer(await t.token('Admin'));
    const customerId = await enrolledMember(t.url, admin, 'ORO', { firstName: 'Pablo', lastName: 'Iglesias' });
    const { id, qrCode } = await invitationFor(t.url, admin, customerId, { loungeCode: 'MAD-GOYA', guests: 1 });
    const image = path.join(t.dataDir, 'invitation.png');
    await writeFile(image, Buffer.from(qrCode.pngBase64, 'base64'));

    const first = await script('scan', ['--image', image, '--lounge', 'MAD-GOYA', '--url', t.url], t.dataDir);
    expect(first).toMatchObject({ code: 0, stdout: `ADMITTED (1 more entry; invitation ${id}, guests 1)\n` });
    const guest = await script('scan', ['--payload', qrCode.payload, '--lounge', 'MAD-GOYA', '--url', t.url], t.dataDir);
    expect(guest.stdout).toMatch(/^ADMITTED \(0 more entries/);
    const third = await script('scan', ['--payload', qrCode.payload, '--lounge', 'MAD-GOYA', '--url', t.url], t.dataDir);
    expect(third).toMatchObject({ code: 1, stdout: expect.stringMatching(/^ALREADY_USED/) });
    const wrong = await script('scan', ['--payload', qrCode.payload, '--lounge', 'MAD-DALI', '--url', t.url], t.dataDir);
    expect(wrong).toMatchObject({ code: 1, stdout: 'WRONG_LOUNGE\n' });
    const notAnImage = await script('scan', ['--image', path.join(root, 'package.json'), '--url', t.url], t.dataDir);
    expect(notAnImage.code).toBe(2);
    expect(notAnImage.stderr).toMatch(/cannot read .* as a PNG image/);
  });
});

describe('QR key rotation', () => {
  it('adds, activates and retires keys, keeping every key that verifies', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cmp-qr-keys-'));
    const first = await script('qr-keys', ['rotate'], dataDir);
    expect(first.stdout).toMatch(/^[0-9a-f]{8}\n$/);
    const kid1 = first.stdout.trim();
    const added = (await script('qr-keys', ['add'], dataDir)).stdout.trim();
    let listed = (await script('qr-keys', ['list'], dataDir)).stdout;
    expect(listed).toMatch(new RegExp(`${kid1} .* active \\(signs\\)`));
    expect(listed).toMatch(new RegExp(`${added} .* can sign`));
    expect((await script('qr-keys', ['activate', added], dataDir)).code).toBe(0);
    expect((await script('qr-keys', ['retire'], dataDir)).code).toBe(0);
    listed = (await script('qr-keys', ['list'], dataDir)).stdout;
    expect(listed).toMatch(new RegExp(`${kid1} .* verifies only`));
    expect(listed).toMatch(new RegExp(`${added} .* active \\(signs\\)`));
    const bad = await script('qr-keys', ['activate', 'deadbeef'], dataDir);
    expect(bad).toMatchObject({ code: 2, stderr: 'no QR key deadbeef in the ring\n' });
  });
});
