import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createFileOnce } from '@cmp/platform';

export const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

export const newToken = () => randomBytes(32).toString('base64url');

/** Compares a presented token with a stored hash in constant time. */
export function tokenMatches(token: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const given = Buffer.from(sha256(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/**
 * Download links are shown on every read of a finished export, so their token is derived (HMAC of the export and
 * its expiry) rather than kept; the row stores only its hash, which the download checks. The key is a file in the
 * data directory, shared by the processes that share it; before `start` loads it a process has a key of its own.
 */
let linkKey: Buffer = randomBytes(32);

export async function loadLinkKey(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'contact-export-links.key');
  await createFileOnce(file, randomBytes(32).toString('hex'));
  linkKey = Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
}

export function exportToken(exportId: string, expiresAt: Date): string {
  return createHmac('sha256', linkKey).update(`contact-export:${exportId}:${expiresAt.toISOString()}`).digest('base64url');
}
