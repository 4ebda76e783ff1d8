import { createHash, generateKeyPairSync } from 'node:crypto';
import type { KeyObject, JsonWebKey } from 'node:crypto';
import { encodeBase64url, epochSeconds } from '@stella/core';
import type { Clock, IdGenerator } from '@stella/core';
import { signCompactJws } from '@stella/auth';

/**
 * Client side of DPoP (RFC 9449). One fresh ES256 key per CLI invocation (§2: the key is the
 * client's, not the server's); one fresh proof per HTTP request (§4.2: `jti` unique, `iat` now).
 */
export interface DpopKey {
  readonly privateKey: KeyObject;
  /** Public JWK (kty, crv, x, y) placed in every proof header. */
  readonly publicJwk: JsonWebKey;
}

export function generateDpopKey(): DpopKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty = 'EC', crv = 'P-256', x = '', y = '' } = publicKey.export({ format: 'jwk' });
  return { privateKey, publicJwk: { kty, crv, x, y } };
}

/** The private JWK, for `stella token --json` (scripts make their own proofs with it). */
export function exportDpopPrivateJwk(key: DpopKey): JsonWebKey {
  return { ...key.privateKey.export({ format: 'jwk' }), alg: 'ES256' };
}

export interface DpopProofClaims {
  /** RFC 9449 §4.2 `htm`: the HTTP method of the request. */
  readonly htm: string;
  /** The full request URL; `htu` is derived from it without query and fragment (§4.2). */
  readonly url: string;
  /** At a resource server: the access token, bound through `ath` (§4.2, §7.1). */
  readonly accessToken?: string;
  /** The most recent `DPoP-Nonce` the server sent (§8, §9). */
  readonly nonce?: string;
}

/** `htu`: scheme, authority and path of the request URL, without query and fragment. */
export function htuOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** `ath` = base64url(SHA-256(ASCII access token)) (RFC 9449 §4.2). */
export function athOf(accessToken: string): string {
  return encodeBase64url(createHash('sha256').update(accessToken, 'ascii').digest());
}

export function createDpopProof(
  key: DpopKey,
  claims: DpopProofClaims,
  clock: Clock,
  ids: IdGenerator,
): string {
  return signCompactJws(
    { typ: 'dpop+jwt', jwk: key.publicJwk },
    {
      jti: ids.random(16),
      htm: claims.htm,
      htu: htuOf(claims.url),
      iat: epochSeconds(clock),
      ...(claims.accessToken === undefined ? {} : { ath: athOf(claims.accessToken) }),
      ...(claims.nonce === undefined ? {} : { nonce: claims.nonce }),
    },
    key.privateKey,
  );
}
