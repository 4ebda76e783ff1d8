/**
 * The JWS layer of `private_key_jwt` (RFC 7523 §3, RFC 7515 §5.2): the attacker-controlled
 * compact serialization goes through `@stella/auth`'s one strict JWS parser, and the signature is
 * checked against the client's registered keys, imported ONCE per registered JWKS (key import
 * costs about as much as a verify; issue 3), on libuv's thread pool so the event loop serves
 * other requests meanwhile.
 *
 * Rules: three base64url segments, size-capped before decoding; header and claims are strict
 * I-JSON objects (duplicate members refused, RFC 7515 §4 / RFC 7519 §4); `crit` refused
 * (RFC 7515 §4.1.11: we understand no extensions); `alg` only ES256 or EdDSA (never `none`/HMAC,
 * RFC 8725 §3.1); key selection never trusts header `jwk`/`jku`/`x5u` — only the registered set,
 * narrowed by `kid` when present and by the key type `alg` names; ES256 signatures must be the
 * 64-byte R‖S form (RFC 7518 §3.4).
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  JwsFormatError,
  parseCompactJws,
  parsePublicJwk,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from '@stella/auth';
import type { ClientRecord } from '../client-registry.ts';

export type AssertionAlgorithm = 'ES256' | 'EdDSA';
const ALGS: readonly string[] = ['ES256', 'EdDSA'] satisfies AssertionAlgorithm[];

/** A refusal with a log-only reason (callers answer `invalid_client`). */
export class AssertionFormatError extends Error {
  override readonly name = 'AssertionFormatError';
}

export interface ParsedAssertion {
  readonly alg: AssertionAlgorithm;
  readonly kid: string | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

/** Parses (does not verify) a compact JWS client assertion. */
export function parseAssertionJws(text: string, maxBytes: number): ParsedAssertion {
  let jws;
  try {
    jws = parseCompactJws(text, maxBytes);
  } catch (error) {
    if (error instanceof JwsFormatError)
      throw new AssertionFormatError(`assertion: ${error.message}`);
    throw error;
  }
  const alg = jws.header['alg'];
  if (typeof alg !== 'string' || !ALGS.includes(alg)) throw new AssertionFormatError('alg');
  const kid = jws.header['kid'];
  if (kid !== undefined && typeof kid !== 'string') throw new AssertionFormatError('kid');
  return {
    alg: alg as AssertionAlgorithm,
    kid,
    claims: jws.payload,
    signingInput: jws.signingInput,
    signature: jws.signature,
  };
}

export interface ClientVerificationKey {
  readonly kid: string | undefined;
  readonly alg: AssertionAlgorithm;
  readonly key: KeyObject;
}

/**
 * Imports the usable verification keys of a registered JWK Set: public P-256 / Ed25519 keys whose
 * `use` (if any) is `sig`, whose `key_ops` (if any) include `verify` and whose `alg` (if any)
 * matches the key type. Other members are skipped, as a JWKS consumer must (RFC 7517 §5).
 */
export function importClientKeys(jwks: {
  keys: Record<string, unknown>[];
}): ClientVerificationKey[] {
  const keys: ClientVerificationKey[] = [];
  for (const raw of jwks.keys) {
    if (raw['use'] !== undefined && raw['use'] !== 'sig') continue;
    const ops = raw['key_ops'];
    if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) continue;
    const jwk = parsePublicJwk(raw);
    if (typeof jwk === 'string') continue;
    const alg: AssertionAlgorithm = jwk.kty === 'EC' ? 'ES256' : 'EdDSA';
    if (raw['alg'] !== undefined && raw['alg'] !== alg) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    } catch {
      continue; // not a point on the curve
    }
    const kid = typeof raw['kid'] === 'string' ? raw['kid'] : undefined;
    keys.push({ kid, alg, key });
  }
  return keys;
}

/** The registered keys that may have made this signature: same `alg`, same `kid` if named. */
function candidates(
  parsed: ParsedAssertion,
  keys: readonly ClientVerificationKey[],
): ClientVerificationKey[] {
  return keys.filter(
    (k) => k.alg === parsed.alg && (parsed.kid === undefined || k.kid === parsed.kid),
  );
}

/** True when some registered key (narrowed by kid and alg) verifies the signature. */
export function verifyAssertionSignature(
  parsed: ParsedAssertion,
  keys: readonly ClientVerificationKey[],
): boolean {
  return candidates(parsed, keys).some((k) =>
    verifyJwsSignature(parsed.alg, k.key, parsed.signingInput, parsed.signature),
  );
}

/**
 * `verifyAssertionSignature` with the curve work on libuv's thread pool: the same candidates in
 * the same order, the same answer (property-tested), the event loop free meanwhile.
 */
export async function verifyAssertionSignatureOffThread(
  parsed: ParsedAssertion,
  keys: readonly ClientVerificationKey[],
): Promise<boolean> {
  for (const k of candidates(parsed, keys)) {
    if (await verifyJwsSignatureOffThread(parsed.alg, k.key, parsed.signingInput, parsed.signature))
      return true;
  }
  return false;
}

/**
 * Imported keys per client. The cached `ClientRecord` object is the fast key (no per-request
 * serialisation); the exact registered JWKS text is the fallback when the client cache hands out
 * a fresh record, so a changed registration (new or rotated key) is imported anew.
 */
export function createClientKeyCache(maxEntries = 1024) {
  const byRecord = new WeakMap<ClientRecord, ClientVerificationKey[]>();
  const byText = new Map<string, ClientVerificationKey[]>();
  return function keysFor(client: ClientRecord): ClientVerificationKey[] {
    const hit = byRecord.get(client);
    if (hit !== undefined) return hit;
    const text = `${client.id}\n${JSON.stringify(client.jwks ?? null)}`;
    let keys = byText.get(text);
    if (keys === undefined) {
      keys = client.jwks === undefined ? [] : importClientKeys(client.jwks);
      if (byText.size >= maxEntries) byText.delete(byText.keys().next().value as string);
      byText.set(text, keys);
    }
    byRecord.set(client, keys);
    return keys;
  };
}
