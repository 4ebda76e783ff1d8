import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import {
  AuthError,
  createAccessTokenVerifier,
  createRemoteJwks,
  createStaticJwks,
} from '../src/index.ts';
import type { FetchLike, RevocationChecker } from '../src/index.ts';
import { NOW, NOW_MS, signJws, testKey } from './helpers.ts';

const ISS = 'https://authority.example';
const key = testKey('ES256');
const kid = 'k1';
const jwks = createStaticJwks({ keys: [{ ...key.jwk, kid, use: 'sig' }] });
const claims = {
  iss: ISS,
  sub: 'ci',
  client_id: 'ci',
  aud: 'signer',
  iat: NOW,
  nbf: NOW,
  exp: NOW + 120,
  jti: 'tok-1',
  scope: 'attestor:read signer:sign',
  tid: 'acme',
  cnf: { jkt: 'A'.repeat(43) },
};
const token = (c: Record<string, unknown> = {}, h: Record<string, unknown> = {}, k = key) =>
  signJws({ typ: 'at+jwt', alg: k.alg, kid, ...h }, { ...claims, ...c }, k);
const verifier = (extra: { revocations?: RevocationChecker } = {}) =>
  createAccessTokenVerifier({
    issuer: ISS,
    audience: 'signer',
    jwks,
    clock: manualClock(NOW_MS),
    ...extra,
  });

async function refused(t: string, detail: RegExp, v = verifier()): Promise<void> {
  await assert.rejects(
    v.verify(t),
    (e: unknown) =>
      e instanceof AuthError && e.code === 'invalid_token' && detail.test(e.detail ?? ''),
  );
}

test('a valid RFC 9068 token yields typed claims', async () => {
  const c = await verifier().verify(token());
  assert.deepEqual(c.scope, ['attestor:read', 'signer:sign']);
  assert.equal(c.tid, 'acme');
  assert.deepEqual(c.cnf, { jkt: 'A'.repeat(43) });
  assert.equal(
    (await verifier().verify(token({ aud: ['signer'] }, { typ: 'application/at+jwt' }))).aud,
    'signer',
  );
});

test('negative vectors', async () => {
  await refused(token({}, { typ: 'JWT' }), /typ/);
  await refused(token({}, { alg: 'HS256' }), /alg/);
  await refused(token({}, { kid: 'nope' }), /unknown kid/);
  await refused(token({}, {}, testKey('ES256')), /signature/);
  await refused(token({ iss: 'https://evil' }), /iss/);
  await refused(token({ aud: ['signer', 'attestor'] }), /aud/);
  await refused(token({ aud: '*' }), /aud/);
  await refused(token({ exp: NOW - 31 }), /expired/);
  await refused(token({ iat: NOW + 31 }), /not yet/);
  await refused(token({ nbf: NOW + 31 }), /not yet/);
  await refused(token({ iat: NOW - 100, exp: NOW + 300 }), /lifetime/);
  await refused(token({ jti: undefined }), /jti/);
  await refused(token({ client_id: undefined }), /client_id/);
  await refused(token({ tid: 'ACME' }), /tid/);
  await refused(token({ scope: 'a  b' }), /scope/);
  await refused(token({ scope: ['a'] }), /scope/);
  await refused(token({ cnf: { jkt: 'A'.repeat(43), 'x5t#S256': 'B'.repeat(43) } }), /cnf/);
  await refused(token({ cnf: { jkt: 'short' } }), /cnf/);
  await refused('not-a-jwt', /malformed/);
});

test('revocation: stale data fails closed, revoked tokens refused', async () => {
  const revoked: RevocationChecker = { assertFresh() {}, isRevoked: (c) => c.jti === 'tok-1' };
  await refused(token(), /revoked/, verifier({ revocations: revoked }));
  const stale: RevocationChecker = {
    assertFresh() {
      throw new AuthError('revocations_stale');
    },
    isRevoked: () => false,
  };
  await assert.rejects(
    verifier({ revocations: stale }).verify(token()),
    (e: unknown) => e instanceof AuthError && e.code === 'revocations_stale',
  );
});

test('property: arbitrary strings as tokens reject with AuthError only', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
      await assert.rejects(verifier().verify(s), AuthError);
    }),
  );
});

test('remote JWKS: no refresh storm on garbage kids; rotation picked up after the interval', async () => {
  const clock = manualClock(NOW_MS);
  const k2 = testKey('EdDSA');
  let doc = { keys: [{ ...key.jwk, kid }] };
  let fetches = 0;
  const fakeFetch: FetchLike = async () => {
    fetches += 1;
    return { status: 200, text: async () => JSON.stringify(doc) };
  };
  const remote = createRemoteJwks({
    url: 'https://authority.example/jwks',
    fetch: fakeFetch,
    clock,
  });
  const v = createAccessTokenVerifier({ issuer: ISS, audience: 'signer', jwks: remote, clock });
  await v.verify(token());
  assert.equal(fetches, 1);
  await Promise.all(Array.from({ length: 50 }, (_, i) => remote.getKey(`garbage-${i}`)));
  await v.verify(token());
  assert.equal(fetches, 1);
  clock.advance(30_000);
  await Promise.all(Array.from({ length: 50 }, (_, i) => remote.getKey(`garbage-${i}`)));
  assert.equal(fetches, 2, 'one refresh per interval, shared by concurrent lookups');
  doc = {
    keys: [
      { ...key.jwk, kid },
      { ...k2.jwk, kid: 'k2' },
    ],
  };
  assert.equal(await remote.getKey('k2'), undefined);
  clock.advance(30_000);
  assert.equal((await remote.getKey('k2'))?.alg, 'EdDSA');
  assert.equal(fetches, 3);
});

test('remote JWKS: unreachable with no keys fails closed; last good set is kept', async () => {
  const clock = manualClock(NOW_MS);
  let up = false;
  const fakeFetch: FetchLike = async () => {
    if (!up) throw new Error('down');
    return { status: 200, text: async () => JSON.stringify({ keys: [{ ...key.jwk, kid }] }) };
  };
  const remote = createRemoteJwks({ url: 'https://a/jwks', fetch: fakeFetch, clock });
  await assert.rejects(
    remote.getKey(kid),
    (e: unknown) => e instanceof AuthError && e.code === 'jwks_unavailable',
  );
  up = true;
  clock.advance(30_000);
  assert.ok(await remote.getKey(kid));
  up = false;
  clock.advance(30_000);
  assert.equal(await remote.getKey('other'), undefined);
  assert.ok(await remote.getKey(kid));
});
