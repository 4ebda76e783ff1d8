/**
 * Access-token (OpTok) verification: an RFC 9068 JWT (PLATFORM.md §2). Checks, in order: JWS
 * shape, `typ` = at+jwt (RFC 9068 §4), alg allow-list (RFC 8725 §3.1), `kid` in the JWKS,
 * signature, `iss` exact, exactly one `aud` equal to this service (no multi/wildcard audience),
 * `exp`/`nbf`/`iat` with skew and the 300 s lifetime cap, `jti`, `client_id`, `tid` syntax,
 * `scope` syntax, `cnf` shape, then revocation.
 */
import { createHash } from 'node:crypto';
import { deepFreeze } from '@stella/core';
import type { Clock } from '@stella/core';
import { AuthError } from './errors.ts';
import { JwsFormatError, parseCompactJws, verifyJwsSignature } from './jws.ts';
import type { JwksSource, VerificationKey } from './jwks.ts';
import { LruCache } from './lru.ts';
import type { RevocationChecker } from './revocations.ts';

export interface Confirmation {
  readonly jkt?: string;
  readonly 'x5t#S256'?: string;
}

export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly client_id: string;
  readonly aud: string;
  readonly iat: number;
  readonly nbf?: number;
  readonly exp: number;
  readonly jti: string;
  readonly scope: readonly string[];
  readonly tid?: string;
  readonly inst?: string;
  readonly cnf?: Confirmation;
  readonly service_identity?: string;
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>;
}

export interface AccessTokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JwksSource;
  readonly clock: Clock;
  readonly skewSeconds?: number;
  readonly algorithms?: readonly ('ES256' | 'EdDSA')[];
  readonly revocations?: RevocationChecker;
  /** Hard cap on exp − iat (PLATFORM.md §2: 300 s). */
  readonly maxLifetimeSeconds?: number;
  readonly maxTokenBytes?: number;
  /**
   * Verified tokens remembered (bounded LRU, default 1024; 0 disables) so a token reused across
   * requests skips the JWS parse and signature check. Every hit still re-checks that the signing
   * key is the one the JWKS currently serves for its kid, the time claims, and revocation.
   */
  readonly verifiedTokenCacheEntries?: number;
}

interface VerifiedToken {
  readonly claims: AccessTokenClaims;
  readonly key: VerificationKey;
}

export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
// RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-separated.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function refuse(detail: string): AuthError {
  return new AuthError('invalid_token', { detail });
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw refuse(`${name} not a string`);
  return value;
}

function parseConfirmation(value: unknown): Confirmation | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse('cnf');
  const { jkt, 'x5t#S256': x5t } = value as Record<string, unknown>;
  // PLATFORM.md §2: DPoP or mTLS binding, never both.
  if ((jkt === undefined) === (x5t === undefined)) throw refuse('cnf must bind exactly one key');
  if (jkt !== undefined) {
    if (typeof jkt !== 'string' || !THUMBPRINT.test(jkt)) throw refuse('cnf.jkt');
    return { jkt };
  }
  if (typeof x5t !== 'string' || !THUMBPRINT.test(x5t)) throw refuse('cnf.x5t#S256');
  return { 'x5t#S256': x5t };
}

function numericDate(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(`${name} missing`);
  return value;
}

export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): AccessTokenVerifier {
  const skew = options.skewSeconds ?? 30;
  const algorithms: readonly string[] = options.algorithms ?? ['ES256', 'EdDSA'];
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  const maxBytes = options.maxTokenBytes ?? 8192;
  const cacheEntries = options.verifiedTokenCacheEntries ?? 1024;
  const verified = cacheEntries > 0 ? new LruCache<string, VerifiedToken>(cacheEntries) : undefined;

  // RFC 9068 §4 / RFC 7519 §4.1.4-5: re-evaluated on every use, cached or not.
  function checkTimes(exp: number, iat: number, nbf: number | undefined): void {
    const now = options.clock.now() / 1000;
    if (now >= exp + skew) throw refuse('expired');
    if (iat > now + skew || (nbf !== undefined && nbf > now + skew)) throw refuse('not yet valid');
  }

  function checkRevocation(claims: AccessTokenClaims): AccessTokenClaims {
    if (options.revocations !== undefined) {
      options.revocations.assertFresh(); // fail closed: stale data never means "not revoked"
      if (options.revocations.isRevoked(claims)) throw refuse('revoked');
    }
    return claims;
  }

  /** A cache hit counts only while the JWKS still serves the very key that verified it. */
  async function fromCache(cacheKey: string): Promise<AccessTokenClaims | undefined> {
    const hit = verified?.get(cacheKey);
    if (hit === undefined) return undefined;
    const current = await options.jwks.getKey(hit.key.kid);
    if (current?.key !== hit.key.key || current.alg !== hit.key.alg) return undefined;
    checkTimes(hit.claims.exp, hit.claims.iat, hit.claims.nbf);
    return checkRevocation(hit.claims);
  }

  return {
    async verify(token) {
      const cacheKey =
        verified !== undefined && typeof token === 'string' && token.length <= maxBytes
          ? createHash('sha256').update(token).digest('base64url')
          : undefined;
      const cached = cacheKey === undefined ? undefined : await fromCache(cacheKey);
      if (cached !== undefined) return cached;
      let jws;
      try {
        jws = parseCompactJws(token, maxBytes); // attacker-controlled
      } catch (error) {
        throw refuse(`malformed: ${error instanceof JwsFormatError ? error.message : 'parse'}`);
      }
      const { header, payload: c } = jws;
      const typ = header['typ'];
      if (
        typeof typ !== 'string' ||
        !['at+jwt', 'application/at+jwt'].includes(typ.toLowerCase())
      ) {
        throw refuse('typ is not at+jwt');
      }
      const alg = header['alg'];
      if (typeof alg !== 'string' || !algorithms.includes(alg)) throw refuse('alg not allowed');
      const kid = header['kid'];
      if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw refuse('kid');
      const key = await options.jwks.getKey(kid);
      if (key === undefined) throw refuse('unknown kid');
      if (
        key.alg !== alg ||
        !verifyJwsSignature(key.alg, key.key, jws.signingInput, jws.signature)
      ) {
        throw refuse('signature');
      }
      if (c['iss'] !== options.issuer) throw refuse('iss');
      const aud = Array.isArray(c['aud']) && c['aud'].length === 1 ? c['aud'][0] : c['aud'];
      if (typeof aud !== 'string' || aud !== options.audience) throw refuse('aud');
      const exp = numericDate(c['exp'], 'exp');
      const iat = numericDate(c['iat'], 'iat');
      const nbf = c['nbf'] === undefined ? undefined : numericDate(c['nbf'], 'nbf');
      checkTimes(exp, iat, nbf);
      if (exp - iat > maxLifetime) throw refuse('lifetime above cap');
      const jti = c['jti'];
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw refuse('jti');
      const clientId = c['client_id'];
      if (typeof clientId !== 'string' || clientId.length === 0) throw refuse('client_id');
      const sub = optionalString(c['sub'], 'sub') ?? clientId;
      const tid = optionalString(c['tid'], 'tid');
      if (tid !== undefined && !TENANT_ID.test(tid)) throw refuse('tid syntax');
      const scope = c['scope'];
      if (typeof scope !== 'string' || (scope !== '' && !SCOPE.test(scope))) throw refuse('scope');
      const cnf = parseConfirmation(c['cnf']);
      const inst = optionalString(c['inst'], 'inst');
      const serviceIdentity = optionalString(c['service_identity'], 'service_identity');
      const claims: AccessTokenClaims = {
        iss: options.issuer,
        sub,
        client_id: clientId,
        aud,
        iat,
        exp,
        jti,
        scope: scope === '' ? [] : scope.split(' '),
        ...(nbf === undefined ? {} : { nbf }),
        ...(tid === undefined ? {} : { tid }),
        ...(inst === undefined ? {} : { inst }),
        ...(cnf === undefined ? {} : { cnf }),
        ...(serviceIdentity === undefined ? {} : { service_identity: serviceIdentity }),
      };
      checkRevocation(claims);
      // Cached only once fully valid; a revoked or malformed token is never remembered.
      // Frozen: every later request shares this object, so no caller may alter it.
      // Frozen as a whole: a cached claims object is shared by every later request.
      if (cacheKey !== undefined)
        verified?.set(cacheKey, { claims: deepFreeze(claims) as AccessTokenClaims, key });
      return claims;
    },
  };
}
