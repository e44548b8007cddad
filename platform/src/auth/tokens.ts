import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  errors as joseErrors,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type CryptoKey,
} from 'jose';
import type { Settings } from '../config.ts';
import { AppError, BadUserInputError, ErrorCode, UnauthenticatedError } from '../errors.ts';
import { createFileOnce } from '../files.ts';
import type { Caller } from './caller.ts';
import { isRole, type Role } from './roles.ts';

const DEV_ALG = 'EdDSA';
const ACCEPTED_ALGS = ['EdDSA', 'ES256', 'RS256', 'PS256'];

interface DevKeyFile {
  kid: string;
  alg: typeof DEV_ALG;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
}

/**
 * The embedded mode's signing key: generated on first start, kept in the data directory, shared by every
 * service that points at the same directory. Creation is atomic (link fails if another process won the race).
 */
export async function loadOrCreateDevKey(keyFile: string): Promise<DevKeyFile> {
  try {
    return JSON.parse(await readFile(keyFile, 'utf8')) as DevKeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(DEV_ALG, { extractable: true });
  const kid = `dev-${randomUUID().slice(0, 8)}`;
  const file: DevKeyFile = {
    kid,
    alg: DEV_ALG,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: DEV_ALG },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: DEV_ALG, use: 'sig' },
    createdAt: new Date().toISOString(),
  };
  // When another process created the key first, theirs is read back below.
  await createFileOnce(keyFile, JSON.stringify(file, null, 2));
  return JSON.parse(await readFile(keyFile, 'utf8')) as DevKeyFile;
}

export interface TokenClaims {
  subject?: string;
  roles: Role[];
  customerId?: string | null;
  loungeCode?: string | null;
  mfa?: boolean;
  expiresIn?: string;
}

/** Signs a development token with the embedded mode's key. Never used in OIDC mode. */
export async function signDevToken(
  settings: Settings,
  claims: TokenClaims,
): Promise<string> {
  if (settings.auth.mode !== 'development') {
    throw new Error('Tokens are issued by the identity provider in OIDC mode');
  }
  for (const role of claims.roles) if (!isRole(role)) throw new BadUserInputError('role', `unknown role ${role}`);
  if (claims.roles.includes('Customer') && !claims.customerId) {
    throw new BadUserInputError('customer', 'a Customer token needs the customer id it belongs to');
  }
  if (claims.roles.includes('LoungeDevice') && !claims.loungeCode) {
    throw new BadUserInputError('lounge', 'a LoungeDevice token needs the lounge code it scans for');
  }
  const key = await loadOrCreateDevKey(settings.auth.keyFile);
  const privateKey = await importJWK(key.privateJwk, DEV_ALG);
  return new SignJWT({
    roles: claims.roles,
    ...(claims.customerId ? { customer_id: claims.customerId } : {}),
    ...(claims.loungeCode ? { lounge_code: claims.loungeCode } : {}),
    amr: claims.mfa ? ['pwd', 'mfa'] : ['pwd'],
  })
    .setProtectedHeader({ alg: DEV_ALG, kid: key.kid, typ: 'JWT' })
    // A lounge device is known by its subject and enrolled to one lounge: one development device per lounge.
    .setSubject(claims.subject ?? `dev:${claims.roles.join('+').toLowerCase()}${claims.loungeCode ? `:${claims.loungeCode.toLowerCase()}` : ''}`)
    .setIssuer(settings.auth.issuer)
    .setAudience(settings.auth.audience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(claims.expiresIn ?? '12h')
    .sign(privateKey);
}

export interface TokenVerifier {
  verify(authorization: string | undefined | null): Promise<Caller>;
}

function callerFromPayload(payload: JWTPayload, token: string): Caller {
  const rawRoles = Array.isArray(payload.roles) ? payload.roles : [];
  const roles = rawRoles.filter(isRole);
  if (roles.length === 0) throw new UnauthenticatedError('The token carries no known role');
  const amr = Array.isArray(payload.amr) ? (payload.amr as unknown[]) : [];
  const customerId = typeof payload.customer_id === 'string' ? payload.customer_id : null;
  const loungeCode = typeof payload.lounge_code === 'string' ? payload.lounge_code : null;
  if (roles.includes('Customer') && !customerId) throw new UnauthenticatedError('A Customer token must name its customer');
  if (roles.includes('LoungeDevice') && !loungeCode) throw new UnauthenticatedError('A LoungeDevice token must name its lounge');
  return {
    subject: payload.sub ?? 'unknown',
    roles,
    customerId,
    loungeCode,
    mfa: amr.includes('mfa') || amr.includes('otp') || amr.includes('hwk'),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    token,
  };
}

/**
 * Tokens this process has verified, for up to a minute and never past their expiry: a lounge scanner or an agent
 * console sends the same token on every request, and its signature need not be checked each time. Keyed by the
 * whole token, so only the identical bytes hit; bounded, oldest out first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 60_000,
  ) {}

  get(token: string, now = Date.now()): Caller | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > now) return entry.caller;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, caller: Caller, exp: number | undefined, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { caller, until: Math.min(now + this.maxAgeMs, exp !== undefined ? exp * 1000 : Number.POSITIVE_INFINITY) });
  }
}

/** Why a token was refused, in words a client developer can act on; never the key material or a stack. */
function refusal(error: unknown): AppError {
  if (error instanceof joseErrors.JWTExpired) return new UnauthenticatedError('The token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return new UnauthenticatedError('The token is not valid yet (nbf is in the future)');
      case 'iat':
        return new UnauthenticatedError('The token was issued in the future (iat)');
      case 'iss':
        return new UnauthenticatedError('The token was issued by an issuer this platform does not trust (iss)');
      case 'aud':
        return new UnauthenticatedError('The token is meant for another audience (aud)');
      default:
        return new UnauthenticatedError(`The token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new UnauthenticatedError(`The token's signing algorithm is not accepted (accepted: ${ACCEPTED_ALGS.join(', ')})`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new UnauthenticatedError('The token\'s signature does not verify');
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new UnauthenticatedError('The token was signed with a key this platform does not know (kid)');
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return new UnauthenticatedError('The token is malformed');
  // jose's plain JOSEError is only its JWKS fetch failing (not 200, not JSON).
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || (error as Error)?.constructor === joseErrors.JOSEError) {
    return new AppError('The identity provider\'s keys could not be read; try again', ErrorCode.SERVICE_UNAVAILABLE, {}, 503);
  }
  if (error instanceof joseErrors.JOSEError) return new UnauthenticatedError(`The token was refused (${error.code})`);
  // The identity provider unreachable (a fetch failure): nothing is wrong with the token, and nothing internal is told.
  return new AppError('The identity provider\'s keys could not be read; try again', ErrorCode.SERVICE_UNAVAILABLE, {}, 503);
}

/**
 * Verifies bearer tokens: the development key in embedded mode, the identity provider's JWKS in OIDC mode. Only
 * asymmetric algorithms are accepted, so `alg: none` and HMAC confusion (HS256 "signed" with the public key) are
 * refused; the issuer, audience, expiry and not-before are checked (30 s of clock skew allowed).
 *
 * OIDC key rotation: a token with a kid not in the cached JWKS makes jose fetch the JWKS again (at most once per
 * `jwksCooldownMs`), so a new key works without a restart; the JWKS is fetched again once older than
 * `jwksCacheMaxAgeMs`, so a withdrawn key stops verifying after that age. Verified tokens are remembered for at most
 * the same age (and a minute), so a token of a withdrawn key is refused at most twice that age after withdrawal.
 */
export async function createTokenVerifier(settings: Settings): Promise<TokenVerifier> {
  let keySource: CryptoKey | JWTVerifyGetKey;
  let devKid: string | null = null;
  let rememberMs = 60_000;
  if (settings.auth.mode === 'oidc') {
    keySource = createRemoteJWKSet(new URL(settings.auth.jwksUrl), {
      cooldownDuration: settings.auth.jwksCooldownMs,
      cacheMaxAge: settings.auth.jwksCacheMaxAgeMs,
    });
    rememberMs = Math.min(rememberMs, settings.auth.jwksCacheMaxAgeMs);
  } else {
    const key = await loadOrCreateDevKey(settings.auth.keyFile);
    keySource = (await importJWK(key.publicJwk, DEV_ALG)) as CryptoKey;
    devKid = key.kid;
  }
  const { issuer, audience } = settings.auth;
  const verified = new VerifiedTokens(10_000, rememberMs);
  const options = { issuer, audience, algorithms: ACCEPTED_ALGS, clockTolerance: 30 };
  return {
    async verify(authorization) {
      if (!authorization) throw new UnauthenticatedError();
      const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
      const token = match[1]!;
      if (token.length > 16_384) throw new UnauthenticatedError('The token is malformed (too long)');
      const known = verified.get(token);
      if (known) return known;
      try {
        if (devKid !== null) {
          // One key signs every development token: any other kid is a key this platform does not know.
          let kid: string | undefined;
          try {
            kid = decodeProtectedHeader(token).kid;
          } catch {
            throw new UnauthenticatedError('The token is malformed');
          }
          if (kid !== undefined && kid !== devKid) throw new joseErrors.JWKSNoMatchingKey();
        }
        const { payload } =
          typeof keySource === 'function' ? await jwtVerify(token, keySource, options) : await jwtVerify(token, keySource, options);
        const caller = callerFromPayload(payload, token);
        verified.set(token, caller, payload.exp);
        return caller;
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw refusal(error);
      }
    },
  };
}
