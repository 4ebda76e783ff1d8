/**
 * DPoP proof validation: the twelve checks of RFC 9449 §4.3, in order, each refusal with a
 * distinct log-only `detail`. Pure: the clock, nonce validity and expected thumbprint are inputs;
 * replay (§11.1) is the caller's step with `ReplayCache` after this returns.
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '@stella/core';
import { equalFixedLengthText } from './equal-text.ts';
import { AuthError } from './errors.ts';
import { normalizeHtu } from './htu.ts';
import {
  decodeJoseObject,
  decodeJwsSignature,
  JwsFormatError,
  splitCompactJws,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from './jws.ts';
import type { JwsAlgorithm } from './jws.ts';
import { LruCache } from './lru.ts';
import { importPublicJwk, jwkThumbprint, parsePublicJwk } from './public-jwk.ts';
import type { KeyCache, PublicJwk } from './public-jwk.ts';

export interface DpopNonceCheck {
  /** RFC 9449 §8 / §9: the server demands a nonce in every proof. */
  readonly required: boolean;
  isValid(nonce: string): boolean;
}

export interface VerifyDpopProofOptions {
  /** ALL `DPoP` header field values of the request (attacker-controlled). */
  readonly proofs: readonly string[];
  readonly method: string;
  /** The CONFIGURED external URL of this request (scheme://host[:port]/path), never from Host. */
  readonly url: string;
  /** The access token presented with the proof (resource server); enables the `ath` check. */
  readonly accessToken?: string;
  /** `cnf.jkt` of the access token, or the thumbprint the AS bound earlier. */
  readonly expectedJkt?: string;
  readonly nonce?: DpopNonceCheck;
  readonly clock: Clock;
  readonly iatSkewSeconds?: number;
  readonly maxProofBytes?: number;
  readonly keyCache?: KeyCache;
  /** Validated proof headers by their exact base64url segment (`createDpopHeaderCache`). */
  readonly headerCache?: DpopHeaderCache;
}

/**
 * What checks (4), (5) and (7) established about one proof header. A client signs every proof
 * with the same key, so its header segment is byte-identical across requests: remembering the
 * verdict by the exact segment text skips the header decode, strict JSON parse, JWK validation
 * and RFC 7638 thumbprint. The signature (6) and every claim check still run per proof.
 */
export interface DpopProofHeader {
  readonly alg: JwsAlgorithm;
  readonly jwk: PublicJwk;
  readonly jkt: string;
}

export interface DpopHeaderCache {
  get(segment: string): DpopProofHeader | undefined;
  set(segment: string, header: DpopProofHeader): void;
}

/** Segments longer than this are verified but never remembered (bounds the cache's memory). */
const MAX_CACHED_HEADER_CHARS = 1024;

export function createDpopHeaderCache(maxEntries = 1024): DpopHeaderCache {
  return new LruCache<string, DpopProofHeader>(maxEntries);
}

export interface DpopProof {
  /** RFC 7638 thumbprint of the proof key (the value `cnf.jkt` binds). */
  readonly jkt: string;
  readonly jti: string;
  /** The normalized `htu` (the replay-cache key uses it). */
  readonly htu: string;
  readonly iat: number;
  readonly publicJwk: PublicJwk;
  readonly nonce?: string;
}

const ALGS: readonly string[] = ['ES256', 'EdDSA'] satisfies JwsAlgorithm[];

function refuse(detail: string): AuthError {
  return new AuthError('invalid_dpop_proof', { detail, scheme: 'DPoP' });
}

function proofKey(jwk: PublicJwk, jkt: string, cache: KeyCache | undefined): KeyObject {
  const cached = cache?.get(jkt);
  if (cached !== undefined) return cached;
  let key: KeyObject;
  try {
    key = importPublicJwk(jwk);
  } catch {
    throw refuse('jwk is not a valid public key');
  }
  cache?.set(jkt, key);
  return key;
}

/** Checks (4), (5), (7) on a freshly parsed header; the result is frozen (it may be cached). */
function checkHeader(header: Readonly<Record<string, unknown>>): DpopProofHeader {
  // (4) typ (RFC 9449 §4.2: explicit typing, RFC 8725 §3.11).
  if (header['typ'] !== 'dpop+jwt') throw refuse('typ is not dpop+jwt');
  // (5) asymmetric allow-listed alg; `none` and HS* never pass.
  const alg = header['alg'];
  if (typeof alg !== 'string' || !ALGS.includes(alg)) throw refuse('alg not allowed');
  // (7) jwk is public and consistent with alg (checked before use as a verification key).
  const jwk = parsePublicJwk(header['jwk'], alg as JwsAlgorithm);
  if (typeof jwk === 'string') throw refuse(jwk);
  return Object.freeze({
    alg: alg as JwsAlgorithm,
    jwk: Object.freeze(jwk),
    jkt: jwkThumbprint(jwk),
  });
}

/** What the signature check needs, and what the claim checks need after it. */
interface PreparedProof {
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
  readonly payload: Record<string, unknown>;
  readonly jwk: DpopProofHeader['jwk'];
  readonly jkt: string;
}

/** Checks (1), (2), (4)–(7) and the embedded key: everything before the signature. */
function prepareDpopProof(options: VerifyDpopProofOptions): PreparedProof {
  const maxBytes = options.maxProofBytes ?? 8192;

  // (1) exactly one DPoP header field.
  if (options.proofs.length !== 1) throw refuse(`dpop header count ${options.proofs.length}`);
  // (2) a single well-formed JWT; size-capped before any decoding (attacker-controlled).
  let segments;
  let cached: DpopProofHeader | undefined;
  let parsedHeader: Record<string, unknown> | undefined;
  let payload: Record<string, unknown>;
  let signature: Uint8Array;
  try {
    segments = splitCompactJws(options.proofs[0], maxBytes);
    cached = options.headerCache?.get(segments.header);
    if (cached === undefined) parsedHeader = decodeJoseObject(segments.header, 'header');
    payload = decodeJoseObject(segments.payload, 'payload');
    signature = decodeJwsSignature(segments.signature);
    if (parsedHeader?.['crit'] !== undefined) throw new JwsFormatError('crit is not supported');
  } catch (error) {
    throw refuse(`malformed proof: ${error instanceof JwsFormatError ? error.message : 'parse'}`);
  }
  const proofHeader = cached ?? checkHeader(parsedHeader ?? {});
  const { alg, jwk, jkt } = proofHeader;
  // (6) the signature verifies with the embedded key.
  const key = proofKey(jwk, jkt, options.keyCache);
  // Remembered only once the key imported (a point off the curve is refused every time).
  if (cached === undefined && segments.header.length <= MAX_CACHED_HEADER_CHARS) {
    options.headerCache?.set(segments.header, proofHeader);
  }
  const signingInput = Buffer.from(`${segments.header}.${segments.payload}`, 'ascii');
  return { alg, key, signingInput, signature, payload, jwk, jkt };
}

/**
 * RFC 9449 §4.3 for an attacker-controlled proof: the twelve checks in order, the signature
 * (6) before any claim is looked at.
 */
export function verifyDpopProof(options: VerifyDpopProofOptions): DpopProof {
  const p = prepareDpopProof(options);
  if (!verifyJwsSignature(p.alg, p.key, p.signingInput, p.signature)) {
    throw refuse('signature does not verify with jwk');
  }
  return checkProofClaims(options, p);
}

/**
 * `verifyDpopProof` with the signature (6) checked on libuv's thread pool: same checks, same
 * order, same errors; for a service's request path, whose event loop then never waits on it.
 */
export async function verifyDpopProofOffThread(
  options: VerifyDpopProofOptions,
): Promise<DpopProof> {
  const p = prepareDpopProof(options);
  if (!(await verifyJwsSignatureOffThread(p.alg, p.key, p.signingInput, p.signature))) {
    throw refuse('signature does not verify with jwk');
  }
  return checkProofClaims(options, p);
}

/** Checks (3), (8)–(12), on a payload whose signature verified. */
function checkProofClaims(options: VerifyDpopProofOptions, p: PreparedProof): DpopProof {
  const { payload, jwk, jkt } = p;
  const skew = options.iatSkewSeconds ?? 30;
  // (3) required claims of §4.2.
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw refuse('jti');
  if (typeof htm !== 'string') throw refuse('htm missing');
  if (typeof htu !== 'string') throw refuse('htu missing');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('iat missing');
  // (8) htm matches the method (case-sensitive, RFC 9110 §9.1).
  if (htm !== options.method) throw refuse('htm mismatch');
  // (9) htu matches the configured URL after RFC 3986 §6 normalization, without query/fragment.
  const proofHtu = normalizeHtu(htu);
  const requestHtu = normalizeHtu(options.url);
  if (requestHtu === undefined) throw new TypeError('url must be an absolute http(s) URL');
  if (proofHtu === undefined || proofHtu !== requestHtu) throw refuse('htu mismatch');
  // (10) nonce, when the server provided one (§8 at the AS, §9 at the RS).
  const nonce = payload['nonce'];
  if (nonce !== undefined && typeof nonce !== 'string') throw refuse('nonce not a string');
  if (options.nonce !== undefined) {
    if (nonce === undefined && options.nonce.required) {
      throw new AuthError('use_dpop_nonce', { detail: 'nonce missing', scheme: 'DPoP' });
    }
    if (nonce !== undefined && !options.nonce.isValid(nonce)) {
      throw new AuthError('use_dpop_nonce', { detail: 'nonce invalid or stale', scheme: 'DPoP' });
    }
  }
  // (11) creation time within ±skew (PLATFORM.md §3: 30 s).
  const now = options.clock.now() / 1000;
  if (Math.abs(iat - now) > skew) throw refuse(iat > now ? 'iat in the future' : 'iat too old');
  // (12) access-token binding: ath = b64url(SHA-256(ASCII token)), and key = cnf.jkt.
  if (options.accessToken !== undefined) {
    const ath = payload['ath'];
    if (typeof ath !== 'string') throw refuse('ath missing');
    // Same bytes as core's sha256 + encodeBase64url (UTF-8 of the token), one native call.
    const expected = createHash('sha256').update(options.accessToken).digest('base64url');
    if (!equalFixedLengthText(ath, expected)) {
      throw refuse('ath mismatch');
    }
  }
  if (options.expectedJkt !== undefined && !equalFixedLengthText(jkt, options.expectedJkt)) {
    throw refuse('jkt mismatch');
  }
  return {
    jkt,
    jti,
    htu: proofHtu,
    iat,
    publicJwk: jwk,
    ...(nonce === undefined ? {} : { nonce }),
  };
}
