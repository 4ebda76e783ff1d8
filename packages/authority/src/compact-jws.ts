/**
 * Compact JWS signing (RFC 7515 §7.1) with Node's crypto directly: ES256 signatures in the JOSE
 * `R || S` form (RFC 7518 §3.4, `dsaEncoding: 'ieee-p1363'`) and EdDSA (RFC 8037 §3.1). Used for
 * access tokens and the revocation bundle; synchronous so the token hot path has no extra
 * promise hops.
 */
import { sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { encodeBase64url } from '@stella/core';

export type SigningAlgorithm = 'ES256' | 'EdDSA';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
}

export function signCompactJws(
  key: SigningKey,
  header: Readonly<Record<string, unknown>>,
  payload: Uint8Array | string,
): string {
  const protectedHeader = encodeBase64url(
    JSON.stringify({ ...header, alg: key.alg, kid: key.kid }),
  );
  const signingInput = `${protectedHeader}.${encodeBase64url(payload)}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(signingInput), {
          key: key.privateKey,
          dsaEncoding: 'ieee-p1363',
        })
      : sign(null, Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${encodeBase64url(signature)}`;
}
