import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeBase45, encodeBase45 } from '../src/qr/base45.ts';
import { QrKeyError, generateQrKey, loadKeyRing, readKeyRing, retireInactive, rotate, writeKeyRing, QrKeyRing } from '../src/qr/keys.ts';
import { QR_PREFIX, signQr, verifyQr } from '../src/qr/payload.ts';
import { alteredCodes } from './mutations.ts';
import { qrPngBase64, qrSvg, qrVersion } from '../src/qr/render.ts';

const claims = {
  invitationId: randomUUID(),
  notBefore: new Date('2026-11-25T06:00:00Z'),
  expiresAt: new Date('2026-11-25T23:00:00Z'),
  loungeCode: 'MAD-VELAZQUEZ',
  guests: 1,
};

describe('Base45 (RFC 9285)', () => {
  it('encodes and decodes the RFC examples', () => {
    const examples: [string, string][] = [
      ['AB', 'BB8'],
      ['Hello!!', '%69 VD92EX0'],
      ['base-45', 'UJCLQE7W581'],
      ['ietf!', 'QED8WEX0'],
    ];
    for (const [text, encoded] of examples) {
      expect(encodeBase45(Buffer.from(text))).toBe(encoded);
      expect(Buffer.from(decodeBase45(encoded)!).toString()).toBe(text);
    }
  });

  it('refuses what is not canonical Base45, so one payload has one spelling', () => {
    expect(decodeBase45('GGW')).toBeNull(); // 65535 < value: RFC 9285 section 6 says reject
    expect(decodeBase45('ZZZ')).toBeNull();
    expect(decodeBase45('A')).toBeNull(); // impossible length
    expect(decodeBase45('ab8')).toBeNull(); // lower case is not in the alphabet
    expect(decodeBase45(':Z')).toBeNull(); // 45*44+44 > 255
  });
});

describe('signed claim-check codes', () => {
  it('carries only the reference, window, lounge and guests, verifies offline, and fits QR version 6 at level M', async () => {
    const ring = rotate(null);
    const payload = signQr(claims, ring.active);
    expect(payload.startsWith(QR_PREFIX)).toBe(true);
    expect(payload).toMatch(/^LX1:[0-9A-Z $%*+\-./:]+$/);
    expect(payload.length).toBeLessThanOrEqual(170);
    expect(qrVersion(payload)).toBeLessThanOrEqual(7);
    expect(verifyQr(payload, ring)).toEqual({ ok: true, qr: { ...claims, keyId: ring.activeKeyId } });
    // Deterministic: the same invitation gives the same code every time it is drawn.
    expect(signQr(claims, ring.active)).toBe(payload);
    expect(await qrSvg(payload)).toMatch(/^<svg /);
  });

  it('draws a PNG that an independent decoder (jsQR) reads back to the payload', async () => {
    const ring = rotate(null);
    const payload = signQr(claims, ring.active);
    const png = PNG.sync.read(Buffer.from(await qrPngBase64(payload), 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(payload);
  });

  it('keeps verifying codes of an older key after rotation and retirement, and refuses a ring that does not add up', async () => {
    const first = rotate(null);
    const old = signQr(claims, first.active);
    const second = retireInactive(rotate(first));
    expect(second.activeKeyId).not.toBe(first.activeKeyId);
    expect(second.get(first.activeKeyId)?.privateKey).toBeNull();
    expect(verifyQr(old, second).ok).toBe(true);
    // The retired key can no longer sign: an old invitation is drawn with the active key, both codes valid.
    expect(second.signerFor(first.activeKeyId).kid).toBe(second.activeKeyId);

    const dir = await mkdtemp(path.join(tmpdir(), 'cmp-qr-'));
    const file = path.join(dir, 'keys.json');
    await writeKeyRing(file, second);
    expect(verifyQr(old, await readKeyRing(file)).ok).toBe(true);
    const tampered = JSON.parse(await readFile(file, 'utf8'));
    tampered.keys[0].kid = '00000000';
    await writeFile(file, JSON.stringify(tampered));
    await expect(readKeyRing(file)).rejects.toThrow(QrKeyError);
    await expect(readKeyRing(path.join(dir, 'missing.json'))).rejects.toThrow(/does not exist/);
    // Created once on first start, then the same ring every time.
    const created = await loadKeyRing(path.join(dir, 'dev.json'), { create: true });
    expect((await loadKeyRing(path.join(dir, 'dev.json'), { create: true })).activeKeyId).toBe(created.activeKeyId);
  });

  it('finds 10,000 random alterations of valid codes all invalid', () => {
    const ring = rotate(null);
    const payload = signQr(claims, ring.active);
    const codes = alteredCodes(payload, claims, ring, 10_000);
    const accepted: string[] = [];
    for (const altered of codes) if (verifyQr(altered, ring).ok) accepted.push(altered);
    expect(accepted).toEqual([]);
    expect(verifyQr(payload, ring).ok).toBe(true);
    expect(() => new QrKeyRing([{ ...generateQrKey(), privateKey: null }], 'abcdef12')).toThrow(QrKeyError);
  });
});
