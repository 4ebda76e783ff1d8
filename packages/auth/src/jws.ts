/**
 * Strict compact JWS (RFC 7515 §7.1) parsing and ES256 / EdDSA signatures with `node:crypto`.
 * Internal to the package: DPoP proofs, access tokens, revocation bundles and identity
 * envelopes all go through here so there is one parser of attacker-controlled JWS text.
 */
import { sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeBase64url, encodeBase64url, parseJsonStrict } from '@stella/core';

/** The only algorithms this platform signs or accepts (PLATFORM.md §2, §3). */
export type JwsAlgorithm = 'ES256' | 'EdDSA';

export interface ParsedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)), RFC 7515 §5.2 step 8. */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

/** Thrown with a log-only reason; callers map it onto their own error code. */
export class JwsFormatError extends Error {
  override readonly name = 'JwsFormatError';
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

// RFC 7515 §4 / RFC 7519 §4: a JOSE header or claims set with duplicate member names MUST be
// rejected (or the last one used); JSON.parse silently keeps the last, so two verifiers could
// disagree on e.g. `alg` or `aud`. The strict I-JSON parser refuses duplicates, lone surrogates
// and numbers outside the double range. Decodes one header or payload segment.
export function decodeJoseObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonStrict(utf8.decode(decodeBase64url(segment)));
  } catch {
    throw new JwsFormatError(`${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwsFormatError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export interface CompactJwsSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
}

/** Size cap and shape of attacker-controlled compact JWS text, before any decoding. */
export function splitCompactJws(text: unknown, maxBytes: number): CompactJwsSegments {
  if (typeof text !== 'string') throw new JwsFormatError('not a string');
  if (text.length > maxBytes) throw new JwsFormatError('too large');
  if (!COMPACT.test(text)) throw new JwsFormatError('not three base64url segments');
  const first = text.indexOf('.');
  const second = text.indexOf('.', first + 1);
  return {
    header: text.slice(0, first),
    payload: text.slice(first + 1, second),
    signature: text.slice(second + 1),
  };
}

/** The signature segment's bytes. */
export function decodeJwsSignature(segment: string): Uint8Array {
  try {
    return decodeBase64url(segment);
  } catch {
    throw new JwsFormatError('signature is not base64url');
  }
}

/**
 * Parses attacker-controlled compact JWS text. The size cap is applied before any decoding, and
 * `crit` is refused outright because this platform understands no JWS extensions
 * (RFC 7515 §4.1.11: unknown critical extensions MUST be rejected).
 */
export function parseCompactJws(text: unknown, maxBytes: number): ParsedJws {
  const { header: h, payload: p, signature: s } = splitCompactJws(text, maxBytes);
  const header = decodeJoseObject(h, 'header');
  const payload = decodeJoseObject(p, 'payload');
  const signature = decodeJwsSignature(s);
  if (header['crit'] !== undefined) throw new JwsFormatError('crit is not supported');
  return { header, payload, signingInput: Buffer.from(`${h}.${p}`, 'ascii'), signature };
}

/** The JWS `alg` a key signs with, or undefined for key types this platform does not use. */
export function algorithmOfKey(key: KeyObject): JwsAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  return undefined;
}

/**
 * The node:crypto arguments for a JWS signature check, or undefined when the key type does not
 * match `alg` (no algorithm confusion) or the signature is not 64 bytes (ES256 must be the R‖S
 * form of RFC 7518 §3.4, never DER; Ed25519 signatures are 64 bytes too).
 */
function verifyParams(alg: JwsAlgorithm, key: KeyObject, signature: Uint8Array) {
  if (key.type !== 'public' || algorithmOfKey(key) !== alg || signature.length !== 64) {
    return undefined;
  }
  return alg === 'ES256'
    ? (['sha256', { key, dsaEncoding: 'ieee-p1363' as const }] as const)
    : ([null, key] as const);
}

/** Verifies a JWS signature (see `verifyParams` for what is refused before any curve work). */
export function verifyJwsSignature(
  alg: JwsAlgorithm,
  key: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): boolean {
  const params = verifyParams(alg, key, signature);
  if (params === undefined) return false;
  try {
    return cryptoVerify(params[0], signingInput, params[1], signature);
  } catch {
    return false;
  }
}

/**
 * `verifyJwsSignature` computed on libuv's thread pool (node:crypto's callback form): same checks,
 * same answer, but the event loop stays free while the curve arithmetic runs. For per-request
 * verifications on a service's hot path.
 */
export function verifyJwsSignatureOffThread(
  alg: JwsAlgorithm,
  key: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const params = verifyParams(alg, key, signature);
  if (params === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      cryptoVerify(params[0], signingInput, params[1], signature, (error, ok) =>
        resolve(error === null && ok),
      );
    } catch {
      resolve(false);
    }
  });
}

/** Signs `payload` as a compact JWS with a P-256 or Ed25519 private key. */
export function signCompactJws(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  key: KeyObject,
): string {
  const alg = algorithmOfKey(key);
  if (key.type !== 'private' || alg === undefined) {
    throw new TypeError('signing key must be a P-256 or Ed25519 private key');
  }
  const input = `${encodeBase64url(JSON.stringify({ ...header, alg }))}.${encodeBase64url(
    JSON.stringify(payload),
  )}`;
  const signature =
    alg === 'ES256'
      ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, Buffer.from(input), key);
  return `${input}.${encodeBase64url(signature)}`;
}
