import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, parseSettings, type TokenVerifier } from '@cmp/platform';
import { eventually } from './platform-harness.ts';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'cmp-api';
const CACHE_MAX_AGE_MS = 1_000;

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const tokenOf = (key: SigningKey, subject: string) =>
  new SignJWT({ roles: ['SupportAgent'] })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);

/** The identity provider's JWKS endpoint on loopback: what it publishes is set by the test. */
let published: JWK[] = [];
let fetches = 0;
let jwksServer: http.Server;
let jwksUrl: string;
let verifier: TokenVerifier;
let key1: SigningKey;
let key2: SigningKey;

const outcome = (token: string) =>
  verifier.verify(`Bearer ${token}`).then(
    (caller) => `accepted ${caller.subject}`,
    (error: { message: string; extensions?: { code?: string } }) => `${error.extensions?.code}: ${error.message}`,
  );

beforeAll(async () => {
  jwksServer = http.createServer((req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  [key1, key2] = await Promise.all([signingKey('key-1'), signingKey('key-2')]);
  const settings = parseSettings({
    CMP_DATA_DIR: '/tmp/cmp-jwks-rotation-unused',
    AUTH_JWKS_URL: jwksUrl,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_JWKS_CACHE_MAX_AGE_MS: String(CACHE_MAX_AGE_MS),
    AUTH_JWKS_COOLDOWN_MS: '0',
  });
  expect(settings.auth).toMatchObject({ mode: 'oidc', jwksCacheMaxAgeMs: CACHE_MAX_AGE_MS, jwksCooldownMs: 0 });
  verifier = await createTokenVerifier(settings);
});

afterAll(async () => {
  await new Promise((resolve) => jwksServer.close(resolve));
});

describe('JWKS rotation in OIDC mode', () => {
  it('accepts a new key without a restart and refuses a withdrawn one after the cache age', async () => {
    published = [key1.publicJwk];
    const before = await tokenOf(key1, 'agent-before-rotation');
    expect(await outcome(before)).toBe('accepted agent-before-rotation');
    expect(fetches).toBe(1);

    // The identity provider starts signing with key 2 and publishes both.
    published = [key1.publicJwk, key2.publicJwk];
    expect(await outcome(await tokenOf(key2, 'agent-new-key'))).toBe('accepted agent-new-key');
    expect(fetches).toBe(2); // the unknown kid made the verifier fetch the JWKS again, no restart
    expect(await outcome(await tokenOf(key1, 'agent-old-key-still-published'))).toBe('accepted agent-old-key-still-published');

    // Key 1 is withdrawn: its tokens, new ones and the one already verified and remembered, are refused once the
    // cache age has passed; key 2 keeps working.
    published = [key2.publicJwk];
    const afterWithdrawal = await tokenOf(key1, 'agent-old-key-withdrawn');
    const refused = 'UNAUTHENTICATED: The token was signed with a key this platform does not know (kid)';
    await eventually(async () => expect(await outcome(afterWithdrawal)).toBe(refused), 10 * CACHE_MAX_AGE_MS);
    await eventually(async () => expect(await outcome(before)).toBe(refused), 10 * CACHE_MAX_AGE_MS);
    expect(await outcome(await tokenOf(key2, 'agent-after-withdrawal'))).toBe('accepted agent-after-withdrawal');
  });

  it('answers SERVICE_UNAVAILABLE, not a server error, when the JWKS cannot be read', async () => {
    const key3 = await signingKey('key-3');
    const down = http.createServer((_req, res) => {
      res.writeHead(500);
      res.end('down');
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    try {
      const settings = parseSettings({
        CMP_DATA_DIR: '/tmp/cmp-jwks-rotation-unused',
        AUTH_JWKS_URL: `http://127.0.0.1:${(down.address() as AddressInfo).port}/jwks`,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
      });
      const unreachable = await createTokenVerifier(settings);
      await expect(unreachable.verify(`Bearer ${await tokenOf(key3, 'agent')}`)).rejects.toMatchObject({
        message: "The identity provider's keys could not be read; try again",
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    } finally {
      await new Promise((resolve) => down.close(resolve));
    }
  });
});
