/**
 * Public JWK validation, RFC 7638 thumbprints and key import for the two key types this platform
 * accepts (PLATFORM.md §3: P-256 for ES256, Ed25519 for EdDSA).
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeBase64url } from '@stella/core';
import type { JwsAlgorithm } from './jws.ts';
import { LruCache } from './lru.ts';

export type PublicJwk =
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string };

// RFC 7517 §9.1 / RFC 7518 §6.2.2, §6.3.2 / RFC 8037 §2: members that make a JWK private.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function coordinate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return decodeBase64url(value).length === 32;
  } catch {
    return false;
  }
}

/**
 * Validates attacker-controlled JWK JSON. Returns the public members only, or a log-only reason
 * string. `alg`, when given, must agree with kty/crv (EC P-256 ⇔ ES256, OKP Ed25519 ⇔ EdDSA).
 */
export function parsePublicJwk(value: unknown, alg?: JwsAlgorithm): PublicJwk | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'jwk not object';
  const jwk = value as Record<string, unknown>;
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) return 'jwk has private members';
  }
  if (jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' && (alg === undefined || alg === 'ES256')) {
    if (!coordinate(jwk['x']) || !coordinate(jwk['y'])) return 'jwk coordinates malformed';
    return { kty: 'EC', crv: 'P-256', x: jwk['x'] as string, y: jwk['y'] as string };
  }
  if (jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519' && (alg === undefined || alg === 'EdDSA')) {
    if (!coordinate(jwk['x'])) return 'jwk x malformed';
    return { kty: 'OKP', crv: 'Ed25519', x: jwk['x'] as string };
  }
  return 'jwk kty/crv not allowed for alg';
}

export function algorithmOfJwk(jwk: PublicJwk): JwsAlgorithm {
  return jwk.kty === 'EC' ? 'ES256' : 'EdDSA';
}

/**
 * RFC 7638 §3.2 thumbprint: SHA-256 over the required members in lexicographic order with no
 * whitespace. Members are validated base64url, so no JSON escaping can occur.
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  const json =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`;
  return createHash('sha256').update(json).digest('base64url');
}

/** Imports a validated JWK; throws when the point is not on the curve. */
export function importPublicJwk(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

/** An LRU of imported keys by thumbprint: equal thumbprints mean equal keys (RFC 7638 §1). */
export interface KeyCache {
  get(thumbprint: string): KeyObject | undefined;
  set(thumbprint: string, key: KeyObject): void;
}

export function createKeyCache(maxEntries = 1024): KeyCache {
  return new LruCache<string, KeyObject>(maxEntries);
}
