// Shared request-level fixture: an Authority key, DPoP client key, tokens and a verifier.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { manualClock } from '@stella/core';
import {
  createAccessTokenVerifier,
  createNonceIssuer,
  createReplayCache,
  createRequestVerifier,
  createStaticJwks,
  importJwks,
  x5tS256,
} from '../src/index.ts';
import type { RequestVerifierOptions } from '../src/index.ts';
import { NOW, NOW_MS, athOf, jwkThumbprintRef, memoryKv, signJws, testKey } from './helpers.ts';

export const ISS = 'https://authority.example';
export const EXTERNAL = 'https://gw.example:8443';
export const authorityKey = testKey('ES256');
export const client = testKey('EdDSA');
export const gatewayKey = testKey('ES256');
const cert = (name: string) =>
  new X509Certificate(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
export const clientCert = cert('client-cert.pem');
export const gatewayCert = cert('gateway-cert.pem');
export const gatewayPeer = {
  raw: new Uint8Array(gatewayCert.raw),
  subjectaltname: gatewayCert.subjectAltName ?? '',
};
export const clientPeer = {
  raw: new Uint8Array(clientCert.raw),
  subjectaltname: clientCert.subjectAltName ?? '',
};

let counter = 0;
export function accessToken(claims: Record<string, unknown> = {}): string {
  counter += 1;
  return signJws(
    { typ: 'at+jwt', alg: 'ES256', kid: 'ak1' },
    {
      iss: ISS,
      sub: 'ci',
      client_id: 'ci',
      aud: 'signer',
      iat: NOW,
      exp: NOW + 120,
      jti: `tok-${counter}`,
      scope: 'signer:sign',
      tid: 'acme',
      cnf: { jkt: jwkThumbprintRef(client.jwk) },
      ...claims,
    },
    authorityKey,
  );
}
export const mtlsToken = (extra: Record<string, unknown> = {}) =>
  accessToken({ cnf: { 'x5t#S256': x5tS256(new Uint8Array(clientCert.raw)) }, ...extra });

export function proofFor(
  token: string,
  method: string,
  path: string,
  extra: Record<string, unknown> = {},
): string {
  counter += 1;
  return signJws(
    { typ: 'dpop+jwt', alg: 'EdDSA', jwk: client.jwk },
    {
      jti: `p-${counter}`,
      htm: method,
      htu: `${EXTERNAL}${path}`,
      iat: NOW,
      ath: athOf(token),
      ...extra,
    },
    client,
  );
}

export const nonceIssuer = createNonceIssuer({
  secret: new Uint8Array(32).fill(1),
  clock: manualClock(NOW_MS),
});
export const envelopeKeys = importJwks({ keys: [{ ...gatewayKey.jwk, kid: 'gw1' }] });

export function verifier(extra: Partial<RequestVerifierOptions> = {}) {
  const clock = manualClock(NOW_MS);
  return createRequestVerifier({
    audience: 'signer',
    externalUrl: EXTERNAL,
    accessTokens: createAccessTokenVerifier({
      issuer: ISS,
      audience: 'signer',
      clock,
      jwks: createStaticJwks({ keys: [{ ...authorityKey.jwk, kid: 'ak1' }] }),
    }),
    replayCache: createReplayCache(memoryKv(), { prefix: 'rs:', windowMs: 120_000 }),
    nonceIssuer,
    requireNonce: false,
    clock,
    mode: 'direct',
    ...extra,
  });
}
