import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createFileOnce, replaceFile } from '../files.ts';

/** A key id: short, and free of the `.` that separates the parts of a sealed value. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const DATA_KEY_BYTES = 32;

/** Raised for a key ring that cannot be used: a bad key file, an unknown key id, a key of the wrong length. */
export class DataKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataKeyError';
  }
}

/**
 * The keys that protect sensitive fields at rest: AES-256 keys by id (the active one encrypts new writes, every one
 * still decrypts) and the HMAC key of the exact-match lookup hashes (new hashes are made with `lookupKey`; hashes
 * made with a previous lookup key are still matched until `data-keys rehash` has rewritten them).
 */
export interface DataKeyRing {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
  lookupKey: Buffer;
  previousLookupKeys?: readonly Buffer[];
}

/** Where a process gets its data keys: from settings (server mode, production) or the embedded key file. */
export type DataKeySource =
  | { kind: 'settings'; keys: { kid: string; key: Buffer }[]; activeKeyId: string; lookupKey: Buffer; previousLookupKeys: Buffer[] }
  | { kind: 'file'; file: string };

interface DataKeyFile {
  activeKeyId: string;
  keys: { kid: string; key: string; createdAt: string }[];
  lookupKey: string;
  /** Lookup keys replaced by `rotate-lookup`, newest first, until `retire-lookup`. */
  previousLookupKeys?: string[];
}

export function newKeyId(): string {
  return `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Parses `kid1:<base64 of 32 bytes>,kid2:...` (DATA_ENCRYPTION_KEYS). Every problem is named, so settings
 * validation can show it as is.
 */
export function parseKeyList(value: string): { keys: { kid: string; key: Buffer }[]; problems: string[] } {
  const keys: { kid: string; key: Buffer }[] = [];
  const problems: string[] = [];
  for (const [index, entry] of value.split(',').entries()) {
    const separator = entry.indexOf(':');
    const kid = separator > 0 ? entry.slice(0, separator).trim() : '';
    if (!KEY_ID_PATTERN.test(kid)) {
      problems.push(`entry ${index + 1} must be <kid>:<base64 key> with a kid of 1-32 letters, digits, _ or -`);
      continue;
    }
    const key = decodeKey(entry.slice(separator + 1).trim());
    if (!key) problems.push(`key ${kid} is not base64`);
    else if (key.length !== DATA_KEY_BYTES) problems.push(`key ${kid} must be ${DATA_KEY_BYTES} bytes (base64 of 32 random bytes), got ${key.length}`);
    else if (keys.some((k) => k.kid === kid)) problems.push(`key id ${kid} is listed twice`);
    else keys.push({ kid, key });
  }
  return { keys, problems };
}

export function decodeKey(value: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  return Buffer.from(value.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
}

function ringOf(activeKeyId: string, keys: { kid: string; key: Buffer }[], lookupKey: Buffer, previousLookupKeys: Buffer[] = []): DataKeyRing {
  const map = new Map(keys.map((k) => [k.kid, k.key]));
  if (!map.has(activeKeyId)) throw new DataKeyError(`the active data key ${activeKeyId} is not in the key ring`);
  for (const [kid, key] of map) {
    if (key.length !== DATA_KEY_BYTES) throw new DataKeyError(`data key ${kid} must be ${DATA_KEY_BYTES} bytes`);
  }
  for (const key of [lookupKey, ...previousLookupKeys]) {
    if (key.length < DATA_KEY_BYTES) throw new DataKeyError(`a lookup key must be at least ${DATA_KEY_BYTES} bytes`);
  }
  return { activeKeyId, keys: map, lookupKey, previousLookupKeys };
}

function fromFile(file: DataKeyFile): DataKeyRing {
  return ringOf(
    file.activeKeyId,
    file.keys.map((k) => ({ kid: k.kid, key: Buffer.from(k.key, 'base64') })),
    Buffer.from(file.lookupKey, 'base64'),
    (file.previousLookupKeys ?? []).map((key) => Buffer.from(key, 'base64')),
  );
}

async function readKeyFile(file: string): Promise<DataKeyFile | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DataKeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof SyntaxError) throw new DataKeyError(`${file} is not a data key file (${error.message})`);
    throw error;
  }
}

function freshKeyFile(): DataKeyFile {
  const kid = newKeyId();
  return {
    activeKeyId: kid,
    keys: [{ kid, key: randomBytes(DATA_KEY_BYTES).toString('base64'), createdAt: new Date().toISOString() }],
    lookupKey: randomBytes(DATA_KEY_BYTES).toString('base64'),
  };
}

/**
 * The embedded mode's data keys: generated on first start in the data directory and shared by every process using
 * that directory. Creation is atomic: of processes racing to create it, one wins and the others read its file.
 */
export async function loadOrCreateDataKeyFile(file: string): Promise<DataKeyRing> {
  const existing = await readKeyFile(file);
  if (existing) return fromFile(existing);
  await createFileOnce(file, JSON.stringify(freshKeyFile(), null, 2));
  return fromFile((await readKeyFile(file))!);
}

export async function loadDataKeyRing(source: DataKeySource): Promise<DataKeyRing> {
  if (source.kind === 'settings') return ringOf(source.activeKeyId, source.keys, source.lookupKey, source.previousLookupKeys);
  return loadOrCreateDataKeyFile(source.file);
}

/**
 * Adds a new key to the embedded key file and makes it the active one: new writes use it, rows under the older keys
 * keep reading until `data-keys reencrypt` moves them. Processes pick the new key up at their next start.
 */
export async function rotateDataKeyFile(file: string): Promise<{ activeKeyId: string; keyIds: string[] }> {
  const current = (await readKeyFile(file)) ?? freshKeyFile();
  let kid = newKeyId();
  while (current.keys.some((k) => k.kid === kid)) kid = newKeyId();
  const next: DataKeyFile = {
    ...current,
    activeKeyId: kid,
    keys: [...current.keys, { kid, key: randomBytes(DATA_KEY_BYTES).toString('base64'), createdAt: new Date().toISOString() }],
  };
  await replaceFile(file, JSON.stringify(next, null, 2));
  return { activeKeyId: kid, keyIds: next.keys.map((k) => k.kid) };
}

/** Drops keys other than the active one from the key file, once no row is sealed under them any more. */
export async function removeDataKeys(file: string, keyIds: string[]): Promise<string[]> {
  const current = await readKeyFile(file);
  if (!current) throw new DataKeyError(`${file} does not exist`);
  if (keyIds.includes(current.activeKeyId)) throw new DataKeyError(`${current.activeKeyId} is the active key and cannot be removed`);
  const next = { ...current, keys: current.keys.filter((k) => !keyIds.includes(k.kid)) };
  await replaceFile(file, JSON.stringify(next, null, 2));
  return next.keys.map((k) => k.kid);
}

/**
 * A new lookup key in the embedded key file: new hashes are made with it, hashes made with the previous one are still
 * matched until `data-keys rehash` rewrites them and `retire-lookup` drops it. Returns how many previous keys are kept.
 */
export async function rotateLookupKeyFile(file: string): Promise<{ previousLookupKeys: number }> {
  const current = (await readKeyFile(file)) ?? freshKeyFile();
  const next: DataKeyFile = {
    ...current,
    lookupKey: randomBytes(DATA_KEY_BYTES).toString('base64'),
    previousLookupKeys: [current.lookupKey, ...(current.previousLookupKeys ?? [])],
  };
  await replaceFile(file, JSON.stringify(next, null, 2));
  return { previousLookupKeys: next.previousLookupKeys!.length };
}

/** Drops the previous lookup keys from the key file (once every hash is made with the current one); how many went. */
export async function removePreviousLookupKeys(file: string): Promise<number> {
  const current = await readKeyFile(file);
  if (!current) throw new DataKeyError(`${file} does not exist`);
  const removed = current.previousLookupKeys?.length ?? 0;
  const { previousLookupKeys: _dropped, ...rest } = current;
  await replaceFile(file, JSON.stringify(rest, null, 2));
  return removed;
}
