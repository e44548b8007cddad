import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createFileOnce, replaceFile } from '@cmp/platform';
import { z } from 'zod';

/** One Ed25519 key of the ring. A retired key keeps only its public half: codes it signed still verify. */
export interface QrKey {
  /** 4 bytes, derived from the public key (first bytes of its SHA-256), written as 8 hex digits. */
  kid: string;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
  createdAt: string;
}

const keyFileSchema = z.object({
  activeKeyId: z.string().regex(/^[0-9a-f]{8}$/),
  keys: z
    .array(
      z.object({
        kid: z.string().regex(/^[0-9a-f]{8}$/),
        createdAt: z.string(),
        publicKey: z.string().includes('PUBLIC KEY'),
        privateKey: z.string().includes('PRIVATE KEY').nullable(),
      }),
    )
    .min(1),
});
export type QrKeyFile = z.infer<typeof keyFileSchema>;

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 8);
}

export class QrKeyError extends Error {
  override name = 'QrKeyError';
}

/** The keys that sign and verify lounge QR codes: one active for signing, every listed one for verifying. */
export class QrKeyRing {
  private readonly byId: Map<string, QrKey>;

  constructor(
    keys: QrKey[],
    readonly activeKeyId: string,
  ) {
    this.byId = new Map(keys.map((k) => [k.kid, k]));
    if (!this.byId.get(activeKeyId)?.privateKey) throw new QrKeyError(`the active QR key ${activeKeyId} has no private key`);
  }

  get active(): QrKey & { privateKey: KeyObject } {
    return this.byId.get(this.activeKeyId) as QrKey & { privateKey: KeyObject };
  }

  get(kid: string): QrKey | undefined {
    return this.byId.get(kid);
  }

  /** The key to sign with for a code first signed by `kid`: that key while it can still sign, else the active one. */
  signerFor(kid: string | null): QrKey & { privateKey: KeyObject } {
    const key = kid ? this.byId.get(kid) : undefined;
    return key?.privateKey ? (key as QrKey & { privateKey: KeyObject }) : this.active;
  }

  get keys(): QrKey[] {
    return [...this.byId.values()];
  }

  static fromFile(file: QrKeyFile): QrKeyRing {
    const keys = file.keys.map((k) => {
      const publicKey = createPublicKey(k.publicKey);
      if (publicKey.asymmetricKeyType !== 'ed25519') throw new QrKeyError(`QR key ${k.kid} is not an Ed25519 key`);
      if (keyIdOf(publicKey) !== k.kid) throw new QrKeyError(`QR key ${k.kid} does not match its public key`);
      const privateKey = k.privateKey ? createPrivateKey(k.privateKey) : null;
      if (privateKey && keyIdOf(createPublicKey(privateKey)) !== k.kid) {
        throw new QrKeyError(`QR key ${k.kid}: the private key does not belong to the public key`);
      }
      return { kid: k.kid, publicKey, privateKey, createdAt: k.createdAt };
    });
    return new QrKeyRing(keys, file.activeKeyId);
  }

  toFile(): QrKeyFile {
    return {
      activeKeyId: this.activeKeyId,
      keys: this.keys.map((k) => ({
        kid: k.kid,
        createdAt: k.createdAt,
        publicKey: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        privateKey: k.privateKey ? k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() : null,
      })),
    };
  }
}

export function generateQrKey(now = new Date()): QrKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid: keyIdOf(publicKey), publicKey, privateKey, createdAt: now.toISOString() };
}

/** A new ring with a fresh active key; the old keys stay (retired keys verify what they signed). */
export function rotate(ring: QrKeyRing | null, now = new Date()): QrKeyRing {
  const key = generateQrKey(now);
  return new QrKeyRing([...(ring?.keys ?? []), key], key.kid);
}

/**
 * A fresh key that verifies but does not sign yet: step one of a rotation across replicas, so every replica knows
 * the key before any code signed with it reaches a door. Step two is `activate`.
 */
export function addKey(ring: QrKeyRing, now = new Date()): { ring: QrKeyRing; kid: string } {
  const key = generateQrKey(now);
  return { ring: new QrKeyRing([...ring.keys, key], ring.activeKeyId), kid: key.kid };
}

export function activate(ring: QrKeyRing, kid: string): QrKeyRing {
  if (!ring.get(kid)) throw new QrKeyError(`no QR key ${kid} in the ring`);
  return new QrKeyRing(ring.keys, kid);
}

/** Drops the private half of every key but the active one: they verify, they no longer sign. */
export function retireInactive(ring: QrKeyRing): QrKeyRing {
  return new QrKeyRing(
    ring.keys.map((k) => (k.kid === ring.activeKeyId ? k : { ...k, privateKey: null })),
    ring.activeKeyId,
  );
}

export async function readKeyRing(path: string): Promise<QrKeyRing> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new QrKeyError(`QR key file ${path} does not exist`);
    throw error;
  }
  const parsed = keyFileSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new QrKeyError(`QR key file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return QrKeyRing.fromFile(parsed.data);
}

/** Reads the ring, creating it with one key first when `create` (development) and it is missing. */
export async function loadKeyRing(path: string, { create }: { create: boolean }): Promise<QrKeyRing> {
  if (create) await createFileOnce(path, JSON.stringify(rotate(null).toFile(), null, 2));
  return readKeyRing(path);
}

export async function writeKeyRing(path: string, ring: QrKeyRing): Promise<void> {
  await replaceFile(path, `${JSON.stringify(ring.toFile(), null, 2)}\n`);
}
