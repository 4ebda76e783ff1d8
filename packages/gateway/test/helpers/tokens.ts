/**
 * Test credentials minted with `jose` (the Authority is built concurrently; tests never depend
 * on it): an ES256 Authority key + static JWKS, RFC 9068 access tokens, RFC 9449 DPoP proofs.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import type { JWK } from 'jose';

export const ISSUER = 'https://authority.test.local';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
  readonly kid: string;
}

export async function createTestKey(): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' }, kid };
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

export interface TokenClaims {
  aud?: string;
  scope?: string;
  tid?: string | undefined;
  jkt?: string;
  x5t?: string;
  clientId?: string;
  iat?: number;
  exp?: number;
  iss?: string;
}

export async function mintAccessToken(
  key: TestKey,
  nowSeconds: number,
  c: TokenClaims = {},
): Promise<string> {
  const clientId = c.clientId ?? 'ci-client';
  const iat = c.iat ?? nowSeconds;
  const cnf =
    c.x5t !== undefined ? { 'x5t#S256': c.x5t } : c.jkt !== undefined ? { jkt: c.jkt } : undefined;
  return new SignJWT({
    client_id: clientId,
    scope: c.scope ?? 'signer:sign',
    ...('tid' in c ? (c.tid === undefined ? {} : { tid: c.tid }) : { tid: 'tenant-a' }),
    ...(cnf === undefined ? {} : { cnf }),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(c.iss ?? ISSUER)
    .setSubject(clientId)
    .setAudience(c.aud ?? 'signer')
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(c.exp ?? iat + 120)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export interface DpopClient {
  readonly key: TestKey;
  readonly jkt: string;
  proof(
    htm: string,
    htu: string,
    options: { token?: string; nonce?: string; iat: number; jti?: string },
  ): Promise<string>;
}

export async function createDpopClient(): Promise<DpopClient> {
  const key = await createTestKey();
  const { kty, crv, x, y } = key.publicJwk;
  const jwk = { kty, crv, x, y } as JWK;
  const jkt = await calculateJwkThumbprint(jwk);
  return {
    key,
    jkt,
    proof: (htm, htu, o) =>
      new SignJWT({
        htm,
        htu,
        ...(o.token === undefined
          ? {}
          : { ath: createHash('sha256').update(o.token).digest('base64url') }),
        ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt(o.iat)
        .setJti(o.jti ?? randomUUID())
        .sign(key.privateKey),
  };
}
