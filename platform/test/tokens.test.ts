import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, generateKeyPair, importJWK, base64url } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  createTokenVerifier,
  loadOrCreateDevKey,
  parseSettings,
  signDevToken,
  type Settings,
  type TokenVerifier,
} from '../src/index.ts';

let settings: Settings;
let verifier: TokenVerifier;

beforeAll(async () => {
  settings = parseSettings({ CMP_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'cmp-tokens-')) });
  verifier = await createTokenVerifier(settings);
});

async function signWithDevKey(claims: Record<string, unknown>, configure: (jwt: SignJWT) => SignJWT = (j) => j) {
  const key = await loadOrCreateDevKey((settings.auth as { keyFile: string }).keyFile);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid });
  return configure(jwt).sign(await importJWK(key.privateJwk, 'EdDSA'));
}

const refused = (token: string) => expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });

describe('token verification', () => {
  it('accepts a development token and reads the caller from it', async () => {
    const token = await signDevToken(settings, { roles: ['Customer'], customerId: '3b0e2f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b' });
    expect(await verifier.verify(`Bearer ${token}`)).toMatchObject({
      roles: ['Customer'],
      customerId: '3b0e2f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      loungeCode: null,
      mfa: false,
      token,
    });
  });

  it('keeps one development key per data directory, even when created concurrently', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cmp-key-race-'));
    const keys = await Promise.all(Array.from({ length: 10 }, () => loadOrCreateDevKey(path.join(dir, 'key.json'))));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });

  it('refuses a missing token and a header that is not Bearer', async () => {
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verifier.verify('Basic YWRtaW46YWRtaW4=')).rejects.toThrow(/Bearer/);
  });

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ roles: ['Admin'], iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 60 }));
    await refused(`${header}.${payload}.`);
  });

  it('refuses a wrong issuer, a wrong audience, an expired and a not-yet-valid token', async () => {
    const valid = (j: SignJWT) => j.setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime('1h');
    await refused(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setIssuer('https://evil.example.com')));
    await refused(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setAudience('another-api')));
    await refused(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setExpirationTime(Math.floor(Date.now() / 1000) - 120)));
    await refused(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setNotBefore(Math.floor(Date.now() / 1000) + 3600)));
  });

  it('refuses a tampered payload and a token signed by another key', async () => {
    const [h, , s] = (await signDevToken(settings, { roles: ['Viewer'] })).split('.');
    const escalated = base64url.encode(JSON.stringify({ roles: ['Admin'], iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: 9_999_999_999 }));
    await refused(`${h}.${escalated}.${s}`);
    const { privateKey } = await generateKeyPair('EdDSA');
    await refused(await new SignJWT({ roles: ['Admin'] }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime('1h').sign(privateKey));
  });

  it('refuses tokens with no known role, a Customer without its customer, a LoungeDevice without its lounge', async () => {
    const valid = (j: SignJWT) => j.setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime('1h');
    await refused(await signWithDevKey({ roles: ['Pilot'] }, valid));
    await refused(await signWithDevKey({ roles: ['Customer'] }, valid));
    await refused(await signWithDevKey({ roles: ['LoungeDevice'] }, valid));
  });

  it('remembers a verified token for at most a minute and never past its expiry', async () => {
    const start = Date.now();
    const token = await signWithDevKey({ roles: ['Viewer'] }, (j) => j.setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime(Math.floor(start / 1000) + 20));
    const fresh = await createTokenVerifier(settings);
    expect((await fresh.verify(`Bearer ${token}`)).roles).toEqual(['Viewer']);
    expect((await fresh.verify(`Bearer ${token}`)).roles).toEqual(['Viewer']);
    vi.useFakeTimers({ now: start + 60_000, toFake: ['Date'] });
    try {
      await expect(fresh.verify(`Bearer ${token}`)).rejects.toThrow(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says why each forged or unusable token is refused', async () => {
    const key = await loadOrCreateDevKey((settings.auth as { keyFile: string }).keyFile);
    const valid = (j: SignJWT) => j.setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setExpirationTime('1h');
    const why = (token: string) => verifier.verify(`Bearer ${token}`).then(
      () => 'accepted',
      (error: { message: string; extensions: { code: string } }) => `${error.extensions.code}: ${error.message}`,
    );
    const now = Math.floor(Date.now() / 1000);
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ roles: ['Admin'], iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: now + 60 }))}.`;
    expect(await why(none)).toMatch(/^UNAUTHENTICATED: The token's signing algorithm is not accepted/);
    // Algorithm confusion: HS256 with the public key's bytes as the HMAC secret.
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const confused = await valid(new SignJWT({ roles: ['Admin'] }).setProtectedHeader({ alg: 'HS256', kid: key.kid })).sign(publicKeyBytes);
    expect(await why(confused)).toMatch(/^UNAUTHENTICATED: The token's signing algorithm is not accepted/);
    const xBytes = base64url.decode(key.publicJwk.x!);
    const confusedRaw = await valid(new SignJWT({ roles: ['Admin'] }).setProtectedHeader({ alg: 'HS256', kid: key.kid })).sign(xBytes);
    expect(await why(confusedRaw)).toMatch(/^UNAUTHENTICATED: The token's signing algorithm is not accepted/);
    expect(await why(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setIssuer('https://evil.example.com')))).toBe(
      'UNAUTHENTICATED: The token was issued by an issuer this platform does not trust (iss)',
    );
    expect(await why(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setAudience('another-api')))).toBe(
      'UNAUTHENTICATED: The token is meant for another audience (aud)',
    );
    expect(await why(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setExpirationTime(now - 120)))).toBe('UNAUTHENTICATED: The token has expired');
    expect(await why(await signWithDevKey({ roles: ['Admin'] }, (j) => valid(j).setNotBefore(now + 3600)))).toBe(
      'UNAUTHENTICATED: The token is not valid yet (nbf is in the future)',
    );
    const [h, p, sig] = (await signDevToken(settings, { roles: ['Viewer'] })).split('.');
    const escalated = base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(p!))), roles: ['Admin'] }));
    expect(await why(`${h}.${escalated}.${sig}`)).toBe("UNAUTHENTICATED: The token's signature does not verify");
    const flipped = sig!.slice(0, 10) + (sig![10] === 'A' ? 'B' : 'A') + sig!.slice(11);
    expect(await why(`${h}.${p}.${flipped}`)).toBe("UNAUTHENTICATED: The token's signature does not verify");
    const { privateKey } = await generateKeyPair('EdDSA');
    const otherKey = await valid(new SignJWT({ roles: ['Admin'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'someone-elses-key' })).sign(privateKey);
    expect(await why(otherKey)).toBe('UNAUTHENTICATED: The token was signed with a key this platform does not know (kid)');
    for (const malformed of ['abc', 'a.b.c', '....', `${h}.${p}`, `${h}!.${p}.${sig}`, base64url.encode('{"alg":"EdDSA"}') + '.e30.']) {
      expect(await why(malformed), malformed).toMatch(/^UNAUTHENTICATED: The token( is malformed|'s signature does not verify)/);
    }
    expect(await why('x'.repeat(20_000))).toBe('UNAUTHENTICATED: The token is malformed (too long)');
  });

  it('reads MFA from the amr claim', async () => {
    const token = await signDevToken(settings, { roles: ['DataPrivacyOfficer'], mfa: true });
    expect((await verifier.verify(`Bearer ${token}`)).mfa).toBe(true);
  });
});
