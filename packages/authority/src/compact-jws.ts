/**
 * Compact JWS signing (RFC 7515 §7.1) with Node's crypto directly: ES256 signatures in the JOSE
 * `R || S` form (RFC 7518 §3.4, `dsaEncoding: 'ieee-p1363'`) and EdDSA (RFC 8037 §3.1). Used for
 * access tokens (on libuv's thread pool: `signCompactJwsOffThread`, so the event loop serves
 * other requests during the curve work) and the revocation bundle and audit export (synchronous).
 */
import { sign } from 'node:crypto';
import type { KeyObject, SignKeyObjectInput } from 'node:crypto';
import { encodeBase64url } from '@stella/core';

export type SigningAlgorithm = 'ES256' | 'EdDSA';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
}

/** The JWS signing input and the node:crypto arguments that sign it. */
function prepare(
  key: SigningKey,
  header: Readonly<Record<string, unknown>>,
  payload: Uint8Array | string,
) {
  const protectedHeader = encodeBase64url(
    JSON.stringify({ ...header, alg: key.alg, kid: key.kid }),
  );
  const signingInput = `${protectedHeader}.${encodeBase64url(payload)}`;
  const digest = key.alg === 'ES256' ? 'sha256' : null;
  const signer: KeyObject | SignKeyObjectInput =
    key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey;
  return { signingInput, data: Buffer.from(signingInput), digest, signer };
}

export function signCompactJws(
  key: SigningKey,
  header: Readonly<Record<string, unknown>>,
  payload: Uint8Array | string,
): string {
  const p = prepare(key, header, payload);
  return `${p.signingInput}.${encodeBase64url(sign(p.digest, p.data, p.signer))}`;
}

/** `signCompactJws` with the signature computed on libuv's thread pool (same input, same key). */
export function signCompactJwsOffThread(
  key: SigningKey,
  header: Readonly<Record<string, unknown>>,
  payload: Uint8Array | string,
): Promise<string> {
  const p = prepare(key, header, payload);
  return new Promise((resolve, reject) => {
    sign(p.digest, p.data, p.signer, (error, signature) => {
      if (error === null) resolve(`${p.signingInput}.${encodeBase64url(signature)}`);
      else reject(error);
    });
  });
}
