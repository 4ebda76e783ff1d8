/**
 * RFC 7638 JWK thumbprints and the public-JWK guard used wherever a JWK arrives from outside
 * (DPoP proof headers, client registrations, JWKS documents). Attacker-controlled input.
 */
import { createHash } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from '@stella/core';
import { cryptoError } from './errors.ts';

export interface EcPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}
export interface OkpPublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}
/** RSA is accepted only for thumbprints (RFC 7638 §3.1 vector), never for signing here. */
export interface RsaPublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
}
export type PublicJwk = EcPublicJwk | OkpPublicJwk | RsaPublicJwk;

/** RFC 7517 §6.2.2 / §6.3.2 / RFC 8037 §2 private members, plus `k` of symmetric keys (§6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't', 'k'] as const;

/** RFC 7638 §3.2: the required members of each key type, already in lexicographic order. */
const REQUIRED_MEMBERS = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
} as const;

const MAX_MEMBER_LENGTH = 2048; // 8192-bit RSA modulus in base64url is ~1366 characters.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function coordinate(jwk: Record<string, unknown>, member: string, bytes?: number): void {
  const value = jwk[member];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_MEMBER_LENGTH) {
    throw cryptoError('invalid_jwk', { detail: `member ${member} missing or not a string` });
  }
  let decoded: Uint8Array;
  try {
    decoded = decodeBase64url(value);
  } catch {
    throw cryptoError('invalid_jwk', { detail: `member ${member} is not base64url` });
  }
  if (bytes !== undefined && decoded.length !== bytes) {
    throw cryptoError('invalid_jwk', { detail: `member ${member} must be ${bytes} bytes` });
  }
}

/**
 * Asserts a public JWK of a supported type: EC P-256, OKP Ed25519 (RFC 8037) or RSA. Any private
 * member refuses with `jwk_has_private_members` (RFC 9449 §4.3 (7): the DPoP `jwk` header must
 * not contain a private key). Coordinates must be strict base64url of the exact length.
 */
export function assertPublicJwk(jwk: unknown): asserts jwk is PublicJwk {
  if (!isRecord(jwk)) throw cryptoError('invalid_jwk', { detail: 'not an object' });
  for (const member of PRIVATE_MEMBERS) {
    if (Object.hasOwn(jwk, member)) throw cryptoError('jwk_has_private_members');
  }
  switch (jwk['kty']) {
    case 'EC':
      if (jwk['crv'] !== 'P-256') throw cryptoError('unsupported_algorithm', { detail: 'crv' });
      coordinate(jwk, 'x', 32);
      coordinate(jwk, 'y', 32);
      return;
    case 'OKP':
      if (jwk['crv'] !== 'Ed25519') throw cryptoError('unsupported_algorithm', { detail: 'crv' });
      coordinate(jwk, 'x', 32);
      return;
    case 'RSA':
      coordinate(jwk, 'n');
      coordinate(jwk, 'e');
      return;
    default:
      throw cryptoError('unsupported_algorithm', { detail: 'kty' });
  }
}

/** RFC 7638 §3.3: the JSON object of only the required members, lexicographic, no whitespace. */
export function thumbprintInput(jwk: PublicJwk): string {
  const record = jwk as unknown as Record<string, string>;
  const members = REQUIRED_MEMBERS[jwk.kty].map(
    (name) => `${JSON.stringify(name)}:${JSON.stringify(record[name])}`,
  );
  return `{${members.join(',')}}`;
}

/**
 * RFC 7638 §3 thumbprint with SHA-256, base64url without padding. Validates the JWK first
 * (public, supported, well-formed), so a thumbprint is never computed over a private key.
 */
export function calculateJwkThumbprint(jwk: unknown): string {
  assertPublicJwk(jwk);
  return encodeBase64url(createHash('sha256').update(thumbprintInput(jwk), 'utf8').digest());
}
