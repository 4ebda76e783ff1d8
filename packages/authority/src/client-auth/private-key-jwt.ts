/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OpenID Connect Core §9). The
 * assertion is attacker-controlled: it is size-capped, verified against the client's registered
 * JWKS with an algorithm allow-list (ES256, EdDSA — never `none` or HMAC), and its `jti` is
 * remembered in the shared KV store until `exp` so a replayed assertion is refused on every
 * replica (RFC 7523 §3 (7)).
 */
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { Clock, KeyValueStore } from '@stella/core';
import { epochSeconds, sha256Hex } from '@stella/core';
import { authorityError } from '../errors.ts';
import type { ClientRecord } from '../client-registry.ts';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LENGTH = 8192;

export interface PrivateKeyJwtOptions {
  readonly issuer: string;
  readonly clock: Clock;
  readonly kv: KeyValueStore;
  readonly maxAssertionLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
}

function fail(detail: string): never {
  throw authorityError('invalid_client', { detail: `private_key_jwt: ${detail}` });
}

/** The unverified `iss`/`sub` of an assertion, only to look the client up (never trusted). */
export function peekAssertionClientId(assertion: string): string {
  if (assertion.length > MAX_ASSERTION_LENGTH) fail('assertion too large');
  let claims: { iss?: unknown; sub?: unknown };
  try {
    claims = decodeJwt(assertion);
  } catch {
    return fail('assertion is not a JWT');
  }
  if (typeof claims.iss !== 'string' || claims.iss !== claims.sub) fail('iss and sub differ');
  return claims.iss;
}

export function createPrivateKeyJwtVerifier(options: PrivateKeyJwtOptions) {
  // Key import costs about as much as a verify, so each client's imported key set is cached by
  // the exact registered JWKS text (a re-registration changes the text and so the cache entry).
  const keySets = new Map<string, JWTVerifyGetKey>();
  function keySetFor(client: ClientRecord): JWTVerifyGetKey {
    const cacheKey = `${client.id}\n${JSON.stringify(client.jwks)}`;
    let keySet = keySets.get(cacheKey);
    if (keySet === undefined) {
      if (keySets.size >= 1024) keySets.clear();
      keySet = createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]);
      keySets.set(cacheKey, keySet);
    }
    return keySet;
  }

  return async function verifyClientAssertion(
    client: ClientRecord,
    assertion: string,
  ): Promise<{ jti: string }> {
    if (client.authMethod !== 'private_key_jwt' || client.jwks === undefined) {
      fail('client is not registered for private_key_jwt');
    }
    const now = epochSeconds(options.clock);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, keySetFor(client), {
        algorithms: ['ES256', 'EdDSA'],
        issuer: client.id,
        subject: client.id,
        // RFC 7523 §3 (3): the audience is the authorization server's issuer identifier.
        audience: options.issuer,
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now * 1000),
        clockTolerance: options.clockSkewSeconds,
      }));
    } catch (error) {
      const code = error instanceof joseErrors.JOSEError ? error.code : 'unexpected';
      return fail(`verification failed (${code})`);
    }
    const exp = payload['exp'] as number;
    const jti = payload['jti'];
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) fail('bad jti');
    // RFC 7523 §3 (4) plus PLATFORM.md §2: exp at most 5 minutes ahead, so a stolen assertion is
    // short-lived and the replay entry below is bounded.
    if (exp > now + options.maxAssertionLifetimeSeconds) fail('exp too far ahead');
    const ttlMs = (exp - now + options.clockSkewSeconds) * 1000;
    const key = `authority:assertion-jti:${sha256Hex(`${client.id}\n${jti}`)}`;
    if (!(await options.kv.setIfAbsent(key, '1', Math.max(ttlMs, 1000)))) fail('jti replayed');
    return { jti };
  };
}

export type ClientAssertionVerifier = ReturnType<typeof createPrivateKeyJwtVerifier>;
