import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import {
  AuthError,
  createRevocationPoller,
  createStaticJwks,
  indexRevocations,
  verifyRevocationBundle,
} from '../src/index.ts';
import type { FetchLike, RevocationBundle } from '../src/index.ts';
import { NOW, NOW_MS, signJws, testKey } from './helpers.ts';

const ISS = 'https://authority.example';
const key = testKey('EdDSA');
const jwks = createStaticJwks({ keys: [{ ...key.jwk, kid: 'rk' }] });
const bundle = (over: Partial<RevocationBundle> = {}): RevocationBundle => ({
  iss: ISS,
  sequence: 5,
  issuedAt: NOW,
  jtis: [{ jti: 'tok-revoked', exp: NOW + 100 }],
  clients: [
    { client_id: 'bad-client', revokedAt: NOW - 10 },
    { client_id: 'scoped', tenant: 'acme', revokedAt: NOW },
  ],
  tenants: [{ tenant: 'gone', revokedAt: NOW }],
  ...over,
});
const sign = (payload: object, header: Record<string, unknown> = {}, k = key) =>
  signJws(
    { typ: 'stella-revocations+jwt', alg: k.alg, kid: 'rk', ...header },
    payload as Record<string, unknown>,
    k,
  );
const bad = (detail: RegExp) => (e: unknown) =>
  e instanceof AuthError && e.code === 'invalid_revocation_bundle' && detail.test(e.detail ?? '');

test('a signed bundle verifies and indexes jti, client and tenant revocations', async () => {
  const b = await verifyRevocationBundle(sign(bundle()), jwks, { issuer: ISS, minSequence: 5 });
  const isRevoked = indexRevocations(b);
  const c = { jti: 'ok', client_id: 'good', tid: 'acme', iat: NOW };
  assert.equal(isRevoked(c), false);
  assert.equal(isRevoked({ ...c, jti: 'tok-revoked' }), true);
  assert.equal(
    isRevoked({ ...c, client_id: 'bad-client', iat: NOW - 10 }),
    true,
    'iat == revokedAt is revoked',
  );
  assert.equal(
    isRevoked({ ...c, client_id: 'bad-client', iat: NOW - 9 }),
    false,
    'issued after revocation',
  );
  assert.equal(isRevoked({ ...c, client_id: 'scoped' }), true);
  assert.equal(isRevoked({ ...c, client_id: 'scoped', tid: 'other' }), false);
  assert.equal(isRevoked({ ...c, tid: 'gone' }), true);
});

test('negative bundles', async () => {
  const opts = { issuer: ISS, minSequence: 0 };
  await assert.rejects(
    verifyRevocationBundle(sign(bundle(), { typ: 'JWT' }), jwks, opts),
    bad(/typ/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle(), {}, testKey('EdDSA')), jwks, opts),
    bad(/signature/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle(), { alg: 'ES256' }), jwks, opts),
    bad(/alg/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle({ iss: 'https://evil' })), jwks, opts),
    bad(/iss/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle()), jwks, { ...opts, minSequence: 6 }),
    bad(/backwards/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign({ ...bundle(), extra: 1 }), jwks, opts),
    bad(/members/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle({ jtis: [{ jti: 'x', exp: -1 }] })), jwks, opts),
    bad(/jtis/),
  );
  await assert.rejects(
    verifyRevocationBundle(sign(bundle({ sequence: 1.5 })), jwks, opts),
    bad(/header/),
  );
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
      await assert.rejects(verifyRevocationBundle(s, jwks, opts), AuthError);
    }),
  );
});

test('poller: fresh after refresh, stale after maxStaleness, never rolls back', async () => {
  const clock = manualClock(NOW_MS);
  let body = sign(bundle({ sequence: 7 }));
  let status = 200;
  const fakeFetch: FetchLike = async () => ({ status, text: async () => body });
  const poller = createRevocationPoller({
    url: 'https://a/revocations',
    fetch: fakeFetch,
    jwks,
    issuer: ISS,
    clock,
    maxStalenessMs: 120_000,
  });
  const stale = (e: unknown) => e instanceof AuthError && e.code === 'revocations_stale';
  assert.throws(() => poller.assertFresh(), stale);
  assert.throws(() => poller.isRevoked({ jti: 'x', client_id: 'c', iat: NOW }), stale);
  await poller.refresh();
  poller.assertFresh();
  assert.equal(poller.sequence, 7);
  assert.equal(poller.isRevoked({ jti: 'tok-revoked', client_id: 'c', iat: NOW }), true);
  body = sign(bundle({ sequence: 6, jtis: [] }));
  await assert.rejects(poller.refresh(), bad(/backwards/));
  assert.equal(poller.isRevoked({ jti: 'tok-revoked', client_id: 'c', iat: NOW }), true);
  status = 500;
  clock.advance(120_001);
  await assert.rejects(poller.refresh(), AuthError);
  assert.throws(() => poller.assertFresh(), stale);
});
