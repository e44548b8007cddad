import { decodeBase45, encodeBase45 } from '../src/qr/base45.ts';
import { generateQrKey, type QrKeyRing } from '../src/qr/keys.ts';
import { QR_PREFIX, signQr, type QrClaims } from '../src/qr/payload.ts';

/**
 * `count` alterations of a valid code, none equal to it: flipped bits, a changed character, truncations, another
 * key's signature (under its own and under the ring's key id), one lounge's body with another's signature, a
 * later expiry, more guests, another lounge, another version, an extra character.
 */
export function alteredCodes(payload: string, claims: QrClaims, ring: QrKeyRing, count: number): string[] {
  const stranger = generateQrKey();
  const bytes = Buffer.from(decodeBase45(payload.slice(QR_PREFIX.length))!);
  const reencode = (b: Buffer) => QR_PREFIX + encodeBase45(b);
  const random = (n: number) => Math.floor(Math.random() * n);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  const mutations: ((i: number) => string)[] = [
    () => {
      const b = Buffer.from(bytes);
      const bit = random(b.length * 8);
      b[bit >> 3]! ^= 1 << (bit & 7);
      return reencode(b);
    },
    () => {
      const i = QR_PREFIX.length + random(payload.length - QR_PREFIX.length);
      const c = alphabet.replace(payload[i]!, '')[random(44)]!;
      return payload.slice(0, i) + c + payload.slice(i + 1);
    },
    () => payload.slice(0, QR_PREFIX.length + random(payload.length - QR_PREFIX.length)),
    () => reencode(bytes.subarray(0, random(bytes.length))),
    () => signQr({ ...claims, loungeCode: 'MAD-DALI' }, { ...stranger, privateKey: stranger.privateKey! }),
    () => {
      // Another key's signature presented under the ring's key id.
      const forged = Buffer.from(decodeBase45(signQr(claims, { ...stranger, privateKey: stranger.privateKey! }).slice(4))!);
      Buffer.from(ring.activeKeyId, 'hex').copy(forged, 1);
      return reencode(forged);
    },
    () => {
      const forged = Buffer.from(decodeBase45(signQr({ ...claims, loungeCode: 'MAD-GOYA-X' }, ring.active).slice(4))!);
      // The body of one lounge with the signature of another.
      return reencode(Buffer.concat([forged.subarray(0, forged.length - 64), bytes.subarray(bytes.length - 64)]));
    },
    () => {
      const b = Buffer.from(bytes);
      b.writeUInt32BE(b.readUInt32BE(25) + 1 + random(86_400 * 30), 25); // later expiry
      return reencode(b);
    },
    () => {
      const b = Buffer.from(bytes);
      b.writeUInt8(2 + random(200), 29); // more guests
      return reencode(b);
    },
    () => {
      const b = Buffer.from(bytes);
      b.write('MAD-GOYA-XXXX', 31, 'ascii'); // another lounge, same length
      return reencode(b);
    },
    () => payload.replace(QR_PREFIX, 'LX2:'),
    () => `${payload}${alphabet[random(45)]}`,
  ];
  const codes: string[] = [];
  for (let i = 0; codes.length < count; i += 1) {
    const altered = mutations[i % mutations.length]!(i);
    if (altered !== payload) codes.push(altered);
  }
  return codes;
}
