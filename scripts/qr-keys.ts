/**
 * Manages the Ed25519 key ring that signs lounge QR codes (QR_KEYS_FILE, or qr-signing-keys.json in the data
 * directory):
 *   pnpm qr-keys list                 the keys, which one signs, which can still sign
 *   pnpm qr-keys rotate               a new key that signs from the next start (one process, or all at once)
 *   pnpm qr-keys add                  a new key that only verifies: roll it out to every replica first...
 *   pnpm qr-keys activate <kid>       ...then make it the signing key and roll out again
 *   pnpm qr-keys retire               drop the private half of every key but the active one
 * Codes signed by any key in the ring keep verifying; remove a key from the file only when every code it signed
 * has expired.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadSettingsOrExit } from '@cmp/platform';
import { QrKeyError, activate, addKey, readKeyRing, retireInactive, rotate, writeKeyRing, type QrKeyRing } from '@cmp/subgraph-invitation/qr-keys';

const settings = loadSettingsOrExit();
const file = settings.invitation.qrKeysFile;
const [command, argument] = process.argv.slice(2);

function show(ring: QrKeyRing): void {
  for (const key of ring.keys) {
    const role = key.kid === ring.activeKeyId ? 'active (signs)' : key.privateKey ? 'can sign' : 'verifies only';
    process.stdout.write(`${key.kid}  ${key.createdAt}  ${role}\n`);
  }
}

try {
  switch (command) {
    case 'list':
      show(await readKeyRing(file));
      break;
    case 'rotate': {
      const ring = rotate(existsSync(file) ? await readKeyRing(file) : null);
      await mkdir(path.dirname(file), { recursive: true });
      await writeKeyRing(file, ring);
      process.stdout.write(`${ring.activeKeyId}\n`);
      break;
    }
    case 'add': {
      const { ring, kid } = addKey(await readKeyRing(file));
      await writeKeyRing(file, ring);
      process.stdout.write(`${kid}\n`);
      break;
    }
    case 'activate':
      if (!argument) throw new QrKeyError('usage: pnpm qr-keys activate <kid>');
      await writeKeyRing(file, activate(await readKeyRing(file), argument));
      break;
    case 'retire':
      await writeKeyRing(file, retireInactive(await readKeyRing(file)));
      break;
    default:
      throw new QrKeyError('usage: pnpm qr-keys list | rotate | add | activate <kid> | retire');
  }
} catch (error) {
  if (!(error instanceof QrKeyError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
