import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { DataKeyRing } from './key-ring.ts';

/**
 * Sensitive fields at rest: AES-256-GCM with a random 96-bit IV, stored as text
 *
 *   v1.<kid>.<iv, base64url>.<ciphertext and 16-byte tag, base64url>
 *
 * The associated data names the row and column the value belongs to (`customer:<id>:passport_number`), so a
 * ciphertext copied to another row or column fails to open instead of showing another customer's value.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that cannot be opened: tampered, moved to another row, or under a key this ring does not hold. */
export class FieldDecryptionError extends Error {
  constructor(
    message: string,
    readonly context: string,
  ) {
    super(`${message} (${context})`);
    this.name = 'FieldDecryptionError';
  }
}

/** The associated data binding a sealed value to its row and column. */
export function fieldContext(table: string, rowId: string, column: string): string {
  return `${table}:${rowId}:${column}`;
}

export function sealField(ring: DataKeyRing, plaintext: string, context: string): string {
  const kid = ring.activeKeyId;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(kid)!, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${kid}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The key id a sealed value was written under, or null when the text is not a sealed value. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 4 && parts[0] === VERSION ? parts[1]! : null;
}

export function openField(ring: DataKeyRing, sealed: string, context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new FieldDecryptionError('not a sealed value (expected v1.<kid>.<iv>.<data>)', context);
  const [, kid, ivText, bodyText] = parts as [string, string, string, string];
  const key = ring.keys.get(kid);
  if (!key) throw new FieldDecryptionError(`sealed under data key ${kid}, which is not in the key ring`, context);
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new FieldDecryptionError('malformed sealed value', context);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  // The key id is authenticated too: relabelling a value with another key id fails like any other tampering.
  decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new FieldDecryptionError('the sealed value failed authentication: tampered, or moved from another row or column', context);
  }
}

/**
 * The exact-match lookup hash of a value: HMAC-SHA256 under the lookup key, base64url. Without the key the hash
 * cannot be recomputed from a guessed value, unlike a plain digest of a short, structured number.
 */
export function lookupHash(ring: DataKeyRing, purpose: string, normalised: string): string {
  return hmacOf(ring.lookupKey, purpose, normalised);
}

/** The value's hash under the current lookup key and under each previous one still kept: what a lookup matches. */
export function lookupHashes(ring: DataKeyRing, purpose: string, normalised: string): string[] {
  return [ring.lookupKey, ...(ring.previousLookupKeys ?? [])].map((key) => hmacOf(key, purpose, normalised));
}

const hmacOf = (key: Buffer, purpose: string, normalised: string) =>
  createHmac('sha256', key).update(`${purpose}\u0000${normalised}`, 'utf8').digest('base64url');
