/**
 * Signing-key handling for DSSE and signed notes: Ed25519 (default) and ECDSA P-256 only.
 * Key material arrives as bytes resolved from a secret provider (PEM PKCS#8 / SPKI, or a JWK as
 * JSON). Errors never include key material; only the key fingerprint is ever reported.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { assertPublicJwk } from './jwk-thumbprint.ts';
import type { PublicJwk } from './jwk-thumbprint.ts';
import { cryptoError } from './errors.ts';

/** JOSE names (RFC 8037 §3.1 `EdDSA`, RFC 7518 §3.4 `ES256`), also used for DSSE keys. */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

/**
 * The signing port: an in-process key (`createSigningKey`) or a remote/HSM signer implement it.
 * `sign` returns a raw Ed25519 signature, or a DER ECDSA signature (as sigstore/cosign do for
 * DSSE). For JWS use `jose` with the `KeyObject` instead: JWS wants IEEE P1363 ECDSA signatures.
 */
export interface SigningKey {
  readonly keyid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: PublicJwk;
  sign(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export interface VerificationKey {
  readonly keyid: string;
  readonly alg: SigningAlgorithm;
  readonly publicKey: KeyObject;
}

const PKCS8_PEM = '-----BEGIN PRIVATE KEY-----';
const SPKI_PEM = '-----BEGIN PUBLIC KEY-----';
const MAX_KEY_BYTES = 16 * 1024;

/** The algorithm a key object can sign for, or `unsupported_algorithm`. */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  throw cryptoError('unsupported_algorithm', { detail: `key type ${key.asymmetricKeyType}` });
}

function decodeMaterial(material: Uint8Array): string {
  if (material.length === 0 || material.length > MAX_KEY_BYTES) {
    throw cryptoError('invalid_key', { detail: 'key material empty or too large' });
  }
  return Buffer.from(material).toString('utf8').trim();
}

function parseJwkText(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw cryptoError('invalid_key', { detail: 'key material is neither PEM nor JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw cryptoError('invalid_key', { detail: 'JWK is not an object' });
  }
  return value as Record<string, unknown>;
}

/** Imports a private signing key from PKCS#8 PEM or a private JWK (JSON bytes). */
export function importPrivateKey(material: Uint8Array): KeyObject {
  const text = decodeMaterial(material);
  let key: KeyObject;
  try {
    if (text.startsWith(PKCS8_PEM)) {
      key = createPrivateKey({ key: text, format: 'pem' });
    } else {
      const jwk = parseJwkText(text);
      if (typeof jwk['d'] !== 'string') throw new Error('JWK has no private member');
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    }
  } catch (error) {
    throw cryptoError('invalid_key', { detail: 'private key could not be imported', cause: error });
  }
  algorithmOf(key);
  return key;
}

/** Imports a public verification key from SPKI PEM or a public JWK (JSON bytes). */
export function importPublicKey(material: Uint8Array): KeyObject {
  const text = decodeMaterial(material);
  if (text.startsWith(SPKI_PEM)) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch (error) {
      throw cryptoError('invalid_key', {
        detail: 'public key could not be imported',
        cause: error,
      });
    }
    algorithmOf(key);
    return key;
  }
  return importPublicJwk(parseJwkText(text));
}

/** Imports an attacker-controlled public JWK (validated: public, P-256 or Ed25519, on curve). */
export function importPublicJwk(jwk: unknown): KeyObject {
  assertPublicJwk(jwk);
  if (jwk.kty === 'RSA') throw cryptoError('unsupported_algorithm', { detail: 'kty RSA' });
  try {
    return createPublicKey({ key: { ...jwk }, format: 'jwk' });
  } catch {
    throw cryptoError('invalid_jwk', { detail: 'point is not a valid public key' });
  }
}

/** A fresh key pair; Ed25519 unless ES256 is asked for. */
export function generateSigningKey(alg: SigningAlgorithm = 'EdDSA'): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function toPublic(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** The public JWK of a key (private keys are reduced to their public half first). */
export function exportPublicJwk(key: KeyObject): PublicJwk {
  const publicKey = toPublic(key);
  const alg = algorithmOf(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  if (alg === 'EdDSA') return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) };
  return { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
}

/**
 * Key fingerprint = lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
 * Used as the DSSE `keyid`: it names the exact key (algorithm + point), is stable across PEM/JWK
 * encodings, and is what cosign-style tooling computes for a public key.
 */
export function keyFingerprint(key: KeyObject): string {
  const der = toPublic(key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('hex');
}
