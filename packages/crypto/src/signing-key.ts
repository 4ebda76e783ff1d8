/**
 * In-process implementations of the `SigningKey` / `VerificationKey` ports and the single place
 * that maps an algorithm to node:crypto sign/verify parameters.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { algorithmOf, exportPublicJwk, keyFingerprint } from './keys.ts';
import type { SigningAlgorithm, SigningKey, VerificationKey } from './keys.ts';
import { cryptoError } from './errors.ts';

/** Ed25519 signs the message itself (RFC 8032 PureEdDSA); ES256 is SHA-256 + DER ECDSA. */
function signParams(alg: SigningAlgorithm, key: KeyObject) {
  return alg === 'EdDSA'
    ? ([null, key] as const)
    : (['sha256', { key, dsaEncoding: 'der' as const }] as const);
}

function signWith(alg: SigningAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  const [digest, keyParam] = signParams(alg, key);
  return new Uint8Array(sign(digest, data, keyParam));
}

/** The same signature computed on libuv's thread pool (node:crypto's callback form). */
function signOnThreadPool(
  alg: SigningAlgorithm,
  key: KeyObject,
  data: Uint8Array,
): Promise<Uint8Array> {
  const [digest, keyParam] = signParams(alg, key);
  return new Promise((resolve, reject) => {
    sign(digest, data, keyParam, (error, sig) =>
      error === null ? resolve(new Uint8Array(sig)) : reject(error),
    );
  });
}

export interface SigningKeyOptions {
  /** Default: the key fingerprint (lowercase hex SHA-256 of SPKI). */
  readonly keyid?: string;
  /**
   * Sign on libuv's thread pool instead of the calling thread: a service signing per request
   * keeps its event loop free and uses more than one core. Same bytes either way.
   */
  readonly threadPool?: boolean;
}

/** Wraps a private key (see `SigningKeyOptions` for the keyid and where signing runs). */
export function createSigningKey(
  privateKey: KeyObject,
  options: SigningKeyOptions = {},
): SigningKey {
  if (privateKey.type !== 'private') {
    throw cryptoError('invalid_key', { detail: 'a private key is required for signing' });
  }
  const alg = algorithmOf(privateKey);
  return Object.freeze({
    keyid: options.keyid ?? keyFingerprint(privateKey),
    alg,
    publicJwk: exportPublicJwk(privateKey),
    sign:
      options.threadPool === true
        ? (bytes: Uint8Array) => signOnThreadPool(alg, privateKey, bytes)
        : (bytes: Uint8Array) => signWith(alg, privateKey, bytes),
  });
}

/** A verification key; the algorithm is derived from the key itself, never from input. */
export function createVerificationKey(key: KeyObject, keyid?: string): VerificationKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return Object.freeze({
    keyid: keyid ?? keyFingerprint(publicKey),
    alg: algorithmOf(publicKey),
    publicKey,
  });
}

/**
 * Verifies `signature` over `data`. Returns false (never throws) for malformed signatures, so a
 * garbage signature and a wrong signature are indistinguishable to the caller.
 */
export function verifySignature(
  key: VerificationKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (algorithmOf(key.publicKey) !== key.alg) return false;
    if (key.alg === 'EdDSA') return verify(null, data, key.publicKey, signature);
    return verify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
