import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataKeyError,
  FieldDecryptionError,
  fieldContext,
  loadDataKeyRing,
  loadOrCreateDataKeyFile,
  lookupHash,
  lookupHashes,
  openField,
  parseSettings,
  removeDataKeys,
  removePreviousLookupKeys,
  rotateDataKeyFile,
  rotateLookupKeyFile,
  sealField,
  sealedKeyId,
  type DataKeyRing,
} from './support.ts';

const key = () => randomBytes(32).toString('base64');
const ring = (active: string, ...kids: string[]): DataKeyRing => ({
  activeKeyId: active,
  keys: new Map(kids.map((kid) => [kid, randomBytes(32)])),
  lookupKey: randomBytes(32),
});
const at = fieldContext('customer', '0b0c3c4e-0000-4000-8000-000000000001', 'passport_number');
const elsewhere = fieldContext('customer', '0b0c3c4e-0000-4000-8000-000000000002', 'passport_number');

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cmp-crypto-'));
  dirs.push(dir);
  return dir;
}

describe('field encryption', () => {
  it('round-trips a value in the v1.<kid>.<iv>.<data> format, with a fresh IV every time', () => {
    const r = ring('k1', 'k1');
    const sealed = sealField(r, 'PAA123456', at);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('PAA123456');
    expect(sealedKeyId(sealed)).toBe('k1');
    expect(openField(r, sealed, at)).toBe('PAA123456');
    expect(sealField(r, 'PAA123456', at)).not.toBe(sealed);
    expect(openField(r, sealField(r, 'Calle de Alcalá 1 · ñ', at), at)).toBe('Calle de Alcalá 1 · ñ');
  });

  it('refuses a tampered tag, a relabelled key id and a value moved to another row, each with a clear error', () => {
    const r: DataKeyRing = { ...ring('k1', 'k1'), keys: new Map([['k1', randomBytes(32)], ['k2', randomBytes(32)]]) };
    const sealed = sealField(r, 'PAA123456', at);
    const [v, kid, iv, body] = sealed.split('.') as [string, string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    const tamperedTag = [v, kid, iv, bytes.toString('base64url')].join('.');
    expect(() => openField(r, tamperedTag, at)).toThrow(FieldDecryptionError);
    expect(() => openField(r, tamperedTag, at)).toThrow(/failed authentication/);
    const cipherBytes = Buffer.from(body, 'base64url');
    cipherBytes[0] = cipherBytes[0]! ^ 1;
    expect(() => openField(r, [v, kid, iv, cipherBytes.toString('base64url')].join('.'), at)).toThrow(/failed authentication/);
    expect(() => openField(r, [v, 'k2', iv, body].join('.'), at)).toThrow(/failed authentication/);
    expect(() => openField(r, [v, 'k9', iv, body].join('.'), at)).toThrow(/data key k9, which is not in the key ring/);
    expect(() => openField(r, sealed, elsewhere)).toThrow(/moved from another row or column/);
    expect(() => openField(r, sealed, fieldContext('customer', '0b0c3c4e-0000-4000-8000-000000000001', 'date_of_birth'))).toThrow(
      FieldDecryptionError,
    );
    expect(() => openField(r, 'PAA123456', at)).toThrow(/not a sealed value/);
  });

  it('keyed lookup hashes are stable under one key, differ by purpose and cannot be recomputed without the key', () => {
    const r = ring('k1', 'k1');
    expect(lookupHash(r, 'passport', 'PAA123456')).toBe(lookupHash(r, 'passport', 'PAA123456'));
    expect(lookupHash(r, 'passport', 'PAA123456')).not.toBe(lookupHash(r, 'passport', 'PAA123457'));
    expect(lookupHash(r, 'passport', 'PAA123456')).not.toBe(lookupHash(r, 'other', 'PAA123456'));
    expect(lookupHash(ring('k1', 'k1'), 'passport', 'PAA123456')).not.toBe(lookupHash(r, 'passport', 'PAA123456'));
  });
});

describe('data keys from settings', () => {
  it('reads a key ring with its active key and lookup key', async () => {
    const s = parseSettings({ DATA_ENCRYPTION_KEYS: `old:${key()},new:${key()}`, DATA_ENCRYPTION_ACTIVE_KEY: 'new', DATA_LOOKUP_KEY: key() });
    expect(s.dataKeys.kind).toBe('settings');
    const r = await loadDataKeyRing(s.dataKeys);
    expect(r.activeKeyId).toBe('new');
    expect([...r.keys.keys()]).toEqual(['old', 'new']);
    expect(sealedKeyId(sealField(r, 'x', at))).toBe('new');
  });

  it('matches lookups under the current lookup key and each previous one, and hashes new values with the current one', async () => {
    const [current, previous] = [key(), key()];
    const s = parseSettings({ DATA_ENCRYPTION_KEYS: `k1:${key()}`, DATA_LOOKUP_KEY: current, DATA_LOOKUP_KEY_PREVIOUS: previous });
    const r = await loadDataKeyRing(s.dataKeys);
    const before = await loadDataKeyRing(parseSettings({ DATA_ENCRYPTION_KEYS: `k1:${key()}`, DATA_LOOKUP_KEY: previous }).dataKeys);
    expect(lookupHashes(r, 'passport', 'PAA123456')).toEqual([lookupHash(r, 'passport', 'PAA123456'), lookupHash(before, 'passport', 'PAA123456')]);
  });

  it.each([
    [{ DATA_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}`, DATA_LOOKUP_KEY: key() }, /DATA_ENCRYPTION_KEYS: key k1 must be 32 bytes/],
    [{ DATA_ENCRYPTION_KEYS: `k1:${key()}`, DATA_ENCRYPTION_ACTIVE_KEY: 'k2', DATA_LOOKUP_KEY: key() }, /DATA_ENCRYPTION_ACTIVE_KEY: names k2, which is not in DATA_ENCRYPTION_KEYS/],
    [{ DATA_ENCRYPTION_KEYS: `k1:${key()},k2:${key()}`, DATA_LOOKUP_KEY: key() }, /DATA_ENCRYPTION_ACTIVE_KEY: is required when DATA_ENCRYPTION_KEYS holds more than one key/],
    [{ DATA_ENCRYPTION_KEYS: `k1:${key()}` }, /DATA_LOOKUP_KEY: is required with DATA_ENCRYPTION_KEYS/],
    [{ DATA_ENCRYPTION_KEYS: `k1:${key()}`, DATA_LOOKUP_KEY: 'c2hvcnQ=' }, /DATA_LOOKUP_KEY: must be base64 of at least 32 random bytes/],
    [{ DATA_ENCRYPTION_KEYS: `no.dots:${key()}`, DATA_LOOKUP_KEY: key() }, /DATA_ENCRYPTION_KEYS: entry 1 must be <kid>:<base64 key>/],
    [{ DATA_ENCRYPTION_KEYS: `k1:${key()}`, DATA_LOOKUP_KEY: key(), DATA_LOOKUP_KEY_PREVIOUS: `${key()},c2hvcnQ=` }, /DATA_LOOKUP_KEY_PREVIOUS: entry 2 must be base64 of at least 32 random bytes/],
    [{ DATA_LOOKUP_KEY_PREVIOUS: key() }, /DATA_LOOKUP_KEY_PREVIOUS: needs DATA_ENCRYPTION_KEYS/],
    [{ DATA_ENCRYPTION_ACTIVE_KEY: 'k1' }, /DATA_ENCRYPTION_ACTIVE_KEY: needs DATA_ENCRYPTION_KEYS/],
    [{ NODE_ENV: 'production' }, /DATA_ENCRYPTION_KEYS: production needs the keys that encrypt sensitive fields/],
  ])('refuses %j with a clear message', (env, message) => {
    expect(() => parseSettings(env as Record<string, string>)).toThrow(message);
  });
});

describe('the embedded data key file', () => {
  it('is created once in the data directory and shared by every process racing to create it', async () => {
    const dir = await tempDir();
    const s = parseSettings({ CMP_DATA_DIR: dir });
    expect(s.dataKeys).toEqual({ kind: 'file', file: path.join(dir, 'data-keys.json') });
    const file = path.join(dir, 'data-keys.json');
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDataKeyFile(file)));
    const first = rings[0]!;
    for (const r of rings) {
      expect(r.activeKeyId).toBe(first.activeKeyId);
      expect(r.keys.get(first.activeKeyId)!.equals(first.keys.get(first.activeKeyId)!)).toBe(true);
      expect(r.lookupKey.equals(first.lookupKey)).toBe(true);
    }
    expect(JSON.parse(await readFile(file, 'utf8')).keys).toHaveLength(1);
  });

  it('rotates: the new key encrypts, the old one still decrypts until it is removed', async () => {
    const file = path.join(await tempDir(), 'data-keys.json');
    const before = await loadOrCreateDataKeyFile(file);
    const oldSealed = sealField(before, '1984-02-29', at);
    const rotated = await rotateDataKeyFile(file);
    expect(rotated.keyIds).toEqual([before.activeKeyId, rotated.activeKeyId]);
    const after = await loadOrCreateDataKeyFile(file);
    expect(after.activeKeyId).toBe(rotated.activeKeyId);
    expect(after.lookupKey.equals(before.lookupKey)).toBe(true);
    expect(openField(after, oldSealed, at)).toBe('1984-02-29');
    const newSealed = sealField(after, '1984-02-29', at);
    expect(sealedKeyId(newSealed)).toBe(rotated.activeKeyId);
    await expect(removeDataKeys(file, [rotated.activeKeyId])).rejects.toThrow(DataKeyError);
    await removeDataKeys(file, [before.activeKeyId]);
    const trimmed = await loadOrCreateDataKeyFile(file);
    expect(openField(trimmed, newSealed, at)).toBe('1984-02-29');
    expect(() => openField(trimmed, oldSealed, at)).toThrow(/not in the key ring/);
  });

  it('rotates the lookup key: the old one is still matched until it is removed, the data keys stay as they were', async () => {
    const file = path.join(await tempDir(), 'data-keys.json');
    const before = await loadOrCreateDataKeyFile(file);
    const oldHash = lookupHash(before, 'passport', 'PAA123456');
    expect(await rotateLookupKeyFile(file)).toEqual({ previousLookupKeys: 1 });
    const after = await loadOrCreateDataKeyFile(file);
    expect(after.activeKeyId).toBe(before.activeKeyId);
    expect(lookupHash(after, 'passport', 'PAA123456')).not.toBe(oldHash);
    expect(lookupHashes(after, 'passport', 'PAA123456')).toEqual([lookupHash(after, 'passport', 'PAA123456'), oldHash]);
    expect(await removePreviousLookupKeys(file)).toBe(1);
    expect(lookupHashes(await loadOrCreateDataKeyFile(file), 'passport', 'PAA123456')).toEqual([lookupHash(after, 'passport', 'PAA123456')]);
  });
});
