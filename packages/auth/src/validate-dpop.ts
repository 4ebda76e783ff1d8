/**
 * DPoP proof validation: the twelve checks of RFC 9449 §4.3, in order, each refusal with a
 * distinct log-only `detail`. Pure: the clock, nonce validity and expected thumbprint are inputs;
 * replay (§11.1) is the caller's step with `ReplayCache` after this returns.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '@stella/core';
import { sha256 } from '@stella/core';
import { encodeBase64url } from '@stella/core';
import { equalFixedLengthText } from './equal-text.ts';
import { AuthError } from './errors.ts';
import { normalizeHtu } from './htu.ts';
import { JwsFormatError, parseCompactJws, verifyJwsSignature } from './jws.ts';
import type { JwsAlgorithm } from './jws.ts';
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

export function verifyDpopProof(options: VerifyDpopProofOptions): DpopProof {
  const skew = options.iatSkewSeconds ?? 30;
  const maxBytes = options.maxProofBytes ?? 8192;

  // (1) exactly one DPoP header field.
  if (options.proofs.length !== 1) throw refuse(`dpop header count ${options.proofs.length}`);
  // (2) a single well-formed JWT; size-capped before any decoding (attacker-controlled).
  let jws;
  try {
    jws = parseCompactJws(options.proofs[0], maxBytes);
  } catch (error) {
    throw refuse(`malformed proof: ${error instanceof JwsFormatError ? error.message : 'parse'}`);
  }
  const { header, payload } = jws;
  // (4) typ (RFC 9449 §4.2: explicit typing, RFC 8725 §3.11).
  if (header['typ'] !== 'dpop+jwt') throw refuse('typ is not dpop+jwt');
  // (5) asymmetric allow-listed alg; `none` and HS* never pass.
  const alg = header['alg'];
  if (typeof alg !== 'string' || !ALGS.includes(alg)) throw refuse('alg not allowed');
  // (7) jwk is public and consistent with alg (checked before use as a verification key).
  const jwk = parsePublicJwk(header['jwk'], alg as JwsAlgorithm);
  if (typeof jwk === 'string') throw refuse(jwk);
  // (6) the signature verifies with the embedded key.
  const jkt = jwkThumbprint(jwk);
  const key = proofKey(jwk, jkt, options.keyCache);
  if (!verifyJwsSignature(alg as JwsAlgorithm, key, jws.signingInput, jws.signature)) {
    throw refuse('signature does not verify with jwk');
  }
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
    if (!equalFixedLengthText(ath, encodeBase64url(sha256(options.accessToken)))) {
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
