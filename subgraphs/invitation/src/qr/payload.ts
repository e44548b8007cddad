import { sign, verify } from 'node:crypto';
import { decodeBase45, encodeBase45 } from './base45.ts';
import type { QrKey, QrKeyRing } from './keys.ts';

/**
 * The claim-check QR (DOMAIN.md): a reference and a signature, no personal data.
 *
 *   offset  size  field
 *   0       1     version (1)
 *   1       4     key id
 *   5       16    invitation id (UUID)
 *   21      4     not before, Unix seconds
 *   25      4     expiry, Unix seconds
 *   29      1     guest allowance
 *   30      1     lounge code length n (1-24)
 *   31      n     lounge code, ASCII
 *   31+n    64    Ed25519 signature over bytes 0 .. 31+n
 *
 * Base45 with the prefix `LX1:`; 166 characters for MAD-VELAZQUEZ, QR version 6 at error correction M.
 */
export const QR_PREFIX = 'LX1:';
const VERSION = 1;
const HEADER = 31;
const SIGNATURE = 64;
const MAX_LOUNGE = 24;
const MAX_TEXT = QR_PREFIX.length + Math.ceil(((HEADER + MAX_LOUNGE + SIGNATURE) * 3) / 2);
const LOUNGE_CODE = /^[A-Z0-9][A-Z0-9-]*$/;

export interface QrClaims {
  invitationId: string;
  notBefore: Date;
  expiresAt: Date;
  loungeCode: string;
  guests: number;
}

export interface VerifiedQr extends QrClaims {
  keyId: string;
}

/** Why a text is not a valid code; for logs only, the scanner is told INVALID. */
export type QrRejection = 'FORMAT' | 'ENCODING' | 'VERSION' | 'LENGTH' | 'UNKNOWN_KEY' | 'SIGNATURE';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function signQr(claims: QrClaims, key: QrKey & { privateKey: NonNullable<QrKey['privateKey']> }): string {
  const lounge = Buffer.from(claims.loungeCode, 'ascii');
  if (!LOUNGE_CODE.test(claims.loungeCode) || lounge.length > MAX_LOUNGE) throw new Error(`lounge code ${claims.loungeCode} cannot be encoded`);
  if (!Number.isInteger(claims.guests) || claims.guests < 0 || claims.guests > 255) throw new Error('guest allowance out of range');
  const body = Buffer.alloc(HEADER + lounge.length);
  body.writeUInt8(VERSION, 0);
  Buffer.from(key.kid, 'hex').copy(body, 1);
  uuidBytes(claims.invitationId).copy(body, 5);
  body.writeUInt32BE(seconds(claims.notBefore), 21);
  body.writeUInt32BE(seconds(claims.expiresAt), 25);
  body.writeUInt8(claims.guests, 29);
  body.writeUInt8(lounge.length, 30);
  lounge.copy(body, HEADER);
  const signature = sign(null, body, key.privateKey);
  return QR_PREFIX + encodeBase45(Buffer.concat([body, signature]));
}

/**
 * Reads and verifies a scanned text with nothing but the key ring: no database, no network. Every check on the
 * shape comes before the signature, and the signature before anything is trusted.
 */
export function verifyQr(text: string, keys: QrKeyRing): { ok: true; qr: VerifiedQr } | { ok: false; reason: QrRejection } {
  if (typeof text !== 'string' || text.length > MAX_TEXT || !text.startsWith(QR_PREFIX)) return { ok: false, reason: 'FORMAT' };
  const bytes = decodeBase45(text.slice(QR_PREFIX.length));
  if (!bytes) return { ok: false, reason: 'ENCODING' };
  if (bytes.length < HEADER + 1 + SIGNATURE) return { ok: false, reason: 'LENGTH' };
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (data.readUInt8(0) !== VERSION) return { ok: false, reason: 'VERSION' };
  const loungeLength = data.readUInt8(30);
  if (loungeLength < 1 || loungeLength > MAX_LOUNGE || data.length !== HEADER + loungeLength + SIGNATURE) return { ok: false, reason: 'LENGTH' };
  const kid = data.subarray(1, 5).toString('hex');
  const key = keys.get(kid);
  if (!key) return { ok: false, reason: 'UNKNOWN_KEY' };
  const body = data.subarray(0, HEADER + loungeLength);
  if (!verify(null, body, key.publicKey, data.subarray(HEADER + loungeLength))) return { ok: false, reason: 'SIGNATURE' };
  return {
    ok: true,
    qr: {
      keyId: kid,
      invitationId: uuidText(data.subarray(5, 21)),
      notBefore: new Date(data.readUInt32BE(21) * 1000),
      expiresAt: new Date(data.readUInt32BE(25) * 1000),
      guests: data.readUInt8(29),
      loungeCode: data.subarray(HEADER, HEADER + loungeLength).toString('ascii'),
    },
  };
}
