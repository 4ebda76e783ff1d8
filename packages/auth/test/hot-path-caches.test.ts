import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import { AuthError, createAccessTokenVerifier, parseClientCertHeader } from '../src/index.ts';
import type { JwksSource, RevocationChecker, VerificationKey } from '../src/index.ts';
import { importJwks } from '../src/index.ts';
import { NOW, NOW_MS, signJws, testKey } from './helpers.ts';

// The verified-token and Client-Cert caches must never change a verdict: every per-request check
// (expiry, revocation, current JWKS key, certificate binding) still runs on a cache hit.
const ISS = 'https://authority.example';
const key = testKey('ES256');
const claims = {
  iss: ISS,
  sub: 'ci',
  client_id: 'ci',
  aud: 'signer',
  iat: NOW,
  exp: NOW + 120,
  jti: 'tok-cache',
  scope: 'signer:sign',
  tid: 'acme',
  cnf: { jkt: 'A'.repeat(43) },
};
const token = (c: Record<string, unknown> = {}) =>
  signJws({ typ: 'at+jwt', alg: 'ES256', kid: 'k1' }, { ...claims, ...c }, key);

/** A JWKS whose key set can be swapped, as a remote JWKS does after a rotation. */
function mutableJwks(): JwksSource & { keys: Map<string, VerificationKey>; calls: number } {
  const source = {
    keys: importJwks({ keys: [{ ...key.jwk, kid: 'k1' }] }),
    calls: 0,
    getKey(kid: string) {
      source.calls += 1;
      return Promise.resolve(source.keys.get(kid));
    },
  };
  return source;
}

function revocations(): RevocationChecker & { revoked: Set<string>; stale: boolean } {
  const r = {
    revoked: new Set<string>(),
    stale: false,
    assertFresh() {
      if (r.stale) throw new AuthError('revocations_stale');
    },
    isRevoked: (c: { jti: string }) => r.revoked.has(c.jti),
  };
  return r;
}

const refusedWith = (code: string, detail?: RegExp) => (e: unknown) =>
  e instanceof AuthError &&
  e.code === code &&
  (detail === undefined || detail.test(e.detail ?? ''));

function setup(entries?: number) {
  const clock = manualClock(NOW_MS);
  const jwks = mutableJwks();
  const revs = revocations();
  const verifier = createAccessTokenVerifier({
    issuer: ISS,
    audience: 'signer',
    jwks,
    clock,
    revocations: revs,
    ...(entries === undefined ? {} : { verifiedTokenCacheEntries: entries }),
  });
  return { clock, jwks, revs, verifier };
}

test('a cached token still expires', async () => {
  const { clock, verifier } = setup();
  const t = token();
  assert.equal((await verifier.verify(t)).jti, 'tok-cache');
  assert.equal((await verifier.verify(t)).jti, 'tok-cache');
  clock.advance(150_000 + 1_000); // past exp + 30 s skew
  await assert.rejects(verifier.verify(t), refusedWith('invalid_token', /expired/));
});

test('revocation and stale revocation data apply to a cached token', async () => {
  const { revs, verifier } = setup();
  const t = token();
  await verifier.verify(t);
  revs.stale = true;
  await assert.rejects(verifier.verify(t), refusedWith('revocations_stale'));
  revs.stale = false;
  revs.revoked.add('tok-cache');
  await assert.rejects(verifier.verify(t), refusedWith('invalid_token', /revoked/));
});

test('a cached token is refused once its key leaves the JWKS, and re-verified after rotation', async () => {
  const { jwks, verifier } = setup();
  const t = token();
  await verifier.verify(t);
  jwks.keys = new Map();
  await assert.rejects(verifier.verify(t), refusedWith('invalid_token', /unknown kid/));
  // A different key under the same kid: the cached verdict does not carry over.
  const other = testKey('ES256');
  jwks.keys = importJwks({ keys: [{ ...other.jwk, kid: 'k1' }] });
  await assert.rejects(verifier.verify(t), refusedWith('invalid_token', /signature/));
});

test('returned claims are frozen so no caller can alter what later requests see', async () => {
  const { verifier } = setup();
  const t = token();
  const first = await verifier.verify(t);
  assert.throws(() => (first.scope as string[]).push('authority:admin'));
  assert.throws(() => {
    (first as { tid?: string }).tid = 'other';
  });
  assert.deepEqual((await verifier.verify(t)).scope, ['signer:sign']);
});

test('a cache of one entry and a disabled cache give the same verdicts', async () => {
  for (const entries of [0, 1]) {
    const { verifier } = setup(entries);
    const a = token({ jti: 'a' });
    const b = token({ jti: 'b' });
    for (const t of [a, b, a, b]) assert.ok((await verifier.verify(t)).jti.length === 1);
    const tampered = `${a.slice(0, -4)}${a.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await assert.rejects(verifier.verify(tampered), refusedWith('invalid_token'));
  }
});

test('property: any single-character change to a verified token is refused', async () => {
  const { verifier } = setup();
  const t = token();
  await verifier.verify(t);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: t.length - 1 }), fc.constantFrom(...alphabet), async (i, ch) => {
      fc.pre(t[i] !== ch);
      const mutated = `${t.slice(0, i)}${ch}${t.slice(i + 1)}`;
      try {
        await verifier.verify(mutated);
        // Only base64url padding bits may change without changing the decoded bytes.
        return Buffer.from(mutated.split('.')[2] ?? '', 'base64url').equals(
          Buffer.from(t.split('.')[2] ?? '', 'base64url'),
        );
      } catch (e) {
        return e instanceof AuthError;
      }
    }),
    { numRuns: 200 },
  );
});

const der = new Uint8Array(
  new X509Certificate(readFileSync(new URL('./testdata/client-cert.pem', import.meta.url))).raw,
);

test('Client-Cert parsing is memoised without sharing mutable bytes', () => {
  const header = `:${Buffer.from(der).toString('base64')}:`;
  const first = parseClientCertHeader(header);
  first.fill(0); // a caller scribbling on its copy must not poison the cache
  const second = parseClientCertHeader(header);
  assert.deepEqual(second, der);
  assert.notEqual(first, second);
  // The size cap still applies before any cache lookup.
  assert.throws(() => parseClientCertHeader(header, 10), refusedWith('invalid_request', /size/));
  // Failures are never cached: the same bad value is refused every time.
  const bad = `:${Buffer.from('not a cert').toString('base64')}:`;
  for (let i = 0; i < 2; i += 1) assert.throws(() => parseClientCertHeader(bad), AuthError);
});
