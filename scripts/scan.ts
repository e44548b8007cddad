/**
 * A lounge door scanner on the command line: reads a QR image (PNG) or a payload and asks the gateway, with a
 * LoungeDevice token, whether to let the holder in.
 *   pnpm scan --image invitation.png [--lounge MAD-VELAZQUEZ] [--token <bearer>] [--url http://localhost:4000/graphql]
 *   pnpm scan --payload 'LX1:...'
 * Without --token it signs a development device token for the lounge (embedded mode's key). One idempotency key
 * per scan, reused on its retries, as a real scanner does. Exit code 0 when admitted, 1 when refused, 2 on error.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { loadSettingsOrExit, signDevToken } from '@cmp/platform';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: pnpm scan (--image <file.png> | --payload <LX1:...>) [--lounge <code>] [--token <bearer>] [--url <gateway>]\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    payload: { type: 'string' },
    lounge: { type: 'string', default: 'MAD-VELAZQUEZ' },
    token: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    retries: { type: 'string', default: '3' },
  },
  strict: true,
});

async function readPayload(): Promise<string> {
  if (values.payload) return values.payload.trim();
  if (!values.image) fail('give --image or --payload');
  let png: PNG;
  try {
    png = PNG.sync.read(await readFile(values.image));
  } catch (error) {
    fail(`cannot read ${values.image} as a PNG image: ${(error as Error).message}`);
  }
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) fail(`no QR code found in ${values.image}`);
  return code.data;
}

const settings = loadSettingsOrExit();
const payload = await readPayload();
const url = values.url ?? `http://localhost:${settings.gateway.port}/graphql`;
const token = values.token ?? (await signDevToken(settings, { roles: ['LoungeDevice'], loungeCode: values.lounge.toUpperCase(), expiresIn: '10m' }));
const idempotencyKey = values.key ?? `scan-${randomUUID()}`;
const query = 'mutation($input: ValidateQrInput!) { validateQr(input: $input) { outcome entriesRemaining replayed invitation { id guests validUntil } } }';

interface Answer {
  data?: { validateQr: { outcome: string; entriesRemaining: number | null; replayed: boolean; invitation: { id: string; guests: number; validUntil: string } | null } };
  errors?: { message: string; extensions?: { code?: string } }[];
}

let answer: Answer | undefined;
for (let attempt = 1; ; attempt += 1) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { input: { payload, idempotencyKey } } }),
      signal: AbortSignal.timeout(2_000),
    });
    answer = (await response.json()) as Answer;
    break;
  } catch (error) {
    if (attempt >= Number(values.retries)) fail(`gateway at ${url} did not answer: ${(error as Error).message}`);
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
}

if (answer.errors?.length) fail(answer.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('\n'));
const result = answer.data!.validateQr;
const details = [
  result.entriesRemaining !== null ? `${result.entriesRemaining} more ${result.entriesRemaining === 1 ? 'entry' : 'entries'}` : null,
  result.invitation ? `invitation ${result.invitation.id}, guests ${result.invitation.guests}` : null,
  result.replayed ? 'answer of an earlier try of this scan' : null,
].filter(Boolean);
process.stdout.write(`${result.outcome}${details.length ? ` (${details.join('; ')})` : ''}\n`);
process.exit(result.outcome === 'ADMITTED' ? 0 : 1);
