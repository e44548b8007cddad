/**
 * Base45 (RFC 9285): bytes as QR alphanumeric characters, so a QR code stores them at 5.5 bits per character.
 *
 * Written here rather than taken from npm because the decoder must be strict: the published package maps an
 * unknown character to -1 and wraps values above 65535 into a byte, so different strings decode to the same
 * bytes. A signed payload has to have exactly one spelling, or an altered code could still verify.
 */
const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Map([...CHARSET].map((c, i) => [c, i]));

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      const n = bytes[i]! * 256 + bytes[i + 1]!;
      out += CHARSET[n % 45]! + CHARSET[Math.floor(n / 45) % 45]! + CHARSET[Math.floor(n / 2025)]!;
    } else {
      const n = bytes[i]!;
      out += CHARSET[n % 45]! + CHARSET[Math.floor(n / 45)]!;
    }
  }
  return out;
}

/** The bytes of a canonical Base45 string, or null when it is not one (bad character, length or value). */
export function decodeBase45(text: string): Uint8Array | null {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const c = VALUE.get(text[i]!);
    const d = VALUE.get(text[i + 1]!);
    if (c === undefined || d === undefined) return null;
    if (i + 2 < text.length) {
      const e = VALUE.get(text[i + 2]!);
      if (e === undefined) return null;
      const n = c + d * 45 + e * 2025;
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = c + d * 45;
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}
