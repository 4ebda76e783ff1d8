import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { epochSeconds } from '@stella/core';
import type { Clock, IdGenerator } from '@stella/core';
import type { Secret } from '@stella/runtime';
import { cliClientError } from './errors.ts';

/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 / §3): a short-lived JWT with
 * iss = sub = client_id, aud = the issuer identifier, a single-use `jti` and `exp` at most five
 * minutes ahead (PLATFORM.md §2). The Authority remembers each `jti`, so every token request —
 * including the retry after a nonce challenge — needs a new assertion.
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_LIFETIME_SECONDS = 60;

export interface ClientAssertionKey {
  readonly key: KeyObject;
  readonly alg: 'ES256' | 'EdDSA';
  readonly kid?: string;
}

/**
 * Imports the client's private JWK from a resolved secret. The JWK text never appears in an
 * error: failures name only the secret reference.
 */
export function importClientKey(secret: Secret): ClientAssertionKey {
  let jwk: Record<string, unknown>;
  let key: KeyObject;
  try {
    jwk = JSON.parse(secret.revealText()) as Record<string, unknown>;
    key = createPrivateKey({ key: jwk as never, format: 'jwk' });
  } catch {
    throw cliClientError('invalid_profile', {
      description: `the client key ${secret.ref} is not a private JWK`,
    });
  }
  const alg =
    key.asymmetricKeyType === 'ed25519'
      ? 'EdDSA'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        ? 'ES256'
        : undefined;
  if (alg === undefined) {
    throw cliClientError('invalid_profile', {
      description: `the client key ${secret.ref} must be a P-256 (ES256) or Ed25519 key`,
    });
  }
  const kid = typeof jwk['kid'] === 'string' ? jwk['kid'] : undefined;
  return { key, alg, ...(kid === undefined ? {} : { kid }) };
}

export async function createClientAssertion(
  signer: ClientAssertionKey,
  claims: { clientId: string; issuer: string },
  clock: Clock,
  ids: IdGenerator,
): Promise<string> {
  const now = epochSeconds(clock);
  return new SignJWT({})
    .setProtectedHeader({
      alg: signer.alg,
      typ: 'JWT',
      ...(signer.kid === undefined ? {} : { kid: signer.kid }),
    })
    .setIssuer(claims.clientId)
    .setSubject(claims.clientId)
    .setAudience(claims.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .setJti(ids.random(16))
    .sign(signer.key);
}
