import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import {
  AuthError,
  createDpopHeaderCache,
  normalizeHtu,
  requestHtu,
  verifyDpopProof,
} from '../src/index.ts';
import type { DpopHeaderCache, DpopProofHeader, VerifyDpopProofOptions } from '../src/index.ts';
import { NOW, NOW_MS, b64u, dpopProof, signJws, testKey } from './helpers.ts';

// The DPoP header cache (validated header by exact segment) and the htu memo must never change a
// verdict: the signature and every claim check still run for each proof.
const URL_ = 'https://api.example.com/v1/sign';
const key = testKey('ES256');
const base = (proof: string, extra: Partial<VerifyDpopProofOptions> = {}) => ({
  proofs: [proof],
  method: 'POST',
  url: URL_,
  clock: manualClock(NOW_MS),
  ...extra,
});

function recording(): DpopHeaderCache & { sets: string[] } {
  const inner = createDpopHeaderCache(8);
  const sets: string[] = [];
  return {
    sets,
    get: (segment) => inner.get(segment),
    set(segment: string, header: DpopProofHeader) {
      sets.push(segment);
      inner.set(segment, header);
    },
  };
}

/** The verdict as comparable data: the proof's jti/jkt, or the refusal code and detail. */
function verdict(options: VerifyDpopProofOptions): string {
  try {
    const proof = verifyDpopProof(options);
    return `ok ${proof.jti} ${proof.jkt}`;
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return `${error.code} ${error.detail ?? ''}`;
  }
}

test('a header is remembered once; later proofs with it still need their own signature', () => {
  const cache = recording();
  verifyDpopProof(base(dpopProof(key), { headerCache: cache }));
  verifyDpopProof(base(dpopProof(key), { headerCache: cache }));
  assert.equal(cache.sets.length, 1);
  // Same header segment (same jwk), signed by another key: the cached header grants nothing.
  const forged = signJws(
    { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk },
    { jti: 'forged', htm: 'POST', htu: URL_, iat: NOW },
    testKey(),
  );
  assert.equal(forged.split('.')[0], cache.sets[0]);
  assert.throws(
    () => verifyDpopProof(base(forged, { headerCache: cache })),
    (e: unknown) => e instanceof AuthError && /signature/.test(e.detail ?? ''),
  );
  // A cached header with a stale, replayed-looking or mis-addressed payload is refused too.
  for (const claims of [{ iat: NOW - 31 }, { htm: 'GET' }, { htu: 'https://evil.example/' }]) {
    assert.throws(
      () => verifyDpopProof(base(dpopProof(key, claims), { headerCache: cache })),
      AuthError,
    );
  }
});

test('refused headers are never remembered, and cached headers are frozen', () => {
  const cache = recording();
  const bad = [
    dpopProof(key, {}, { typ: 'jwt' }),
    dpopProof(key, {}, { alg: 'HS256' }),
    dpopProof(key, {}, { jwk: { ...key.jwk, d: 'AAAA' } }),
    dpopProof(key, {}, { crit: ['x'] }),
    signJws(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.jwk, y: b64u(new Uint8Array(32)) } },
      {},
      key,
    ),
  ];
  for (const proof of bad) {
    assert.throws(() => verifyDpopProof(base(proof, { headerCache: cache })), AuthError);
  }
  assert.deepEqual(cache.sets, []);
  const proof = verifyDpopProof(base(dpopProof(key), { headerCache: cache }));
  assert.ok(Object.isFrozen(proof.publicJwk));
});

test('property: verdicts with the header cache equal verdicts without it', () => {
  const other = testKey('EdDSA');
  const proofs = [
    dpopProof(key),
    dpopProof(other),
    dpopProof(key, { iat: NOW + 60 }),
    dpopProof(key, {}, { typ: 'JWT' }),
    signJws(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk },
      { jti: 'x', htm: 'POST', htu: URL_, iat: NOW },
      other,
    ),
  ];
  const mutate = (p: string, i: number, c: string) =>
    i < p.length ? p.slice(0, i) + c + p.slice(i + 1) : p;
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.nat({ max: proofs.length - 1 }),
          fc.nat({ max: 400 }),
          fc.constantFrom('A', '_', '.', 'z'),
        ),
        { maxLength: 12 },
      ),
      (steps) => {
        const cache = createDpopHeaderCache(2);
        for (const [which, at, c] of steps) {
          const proof = mutate(proofs[which] as string, at, c);
          assert.equal(verdict(base(proof, { headerCache: cache })), verdict(base(proof)));
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('property: memoised htu normalisation agrees with a fresh WHATWG parse', () => {
  const reference = (value: string): string | undefined => {
    try {
      const url = new URL(value);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
      if (url.username !== '' || url.password !== '' || url.host === '') return undefined;
      return `${url.protocol}//${url.host}`;
    } catch {
      return undefined;
    }
  };
  const target = fc.stringMatching(/^\/[a-zA-Z0-9%._~:@/?#-]{0,30}$/);
  const bases = [
    'https://gw.example',
    'https://GW.example:443',
    'http://[::1]:8080',
    'https://h:8443',
  ];
  fc.assert(
    fc.property(fc.constantFrom(...bases), target, (b, t) => {
      const first = requestHtu(b, t);
      assert.equal(requestHtu(b, t), first); // a memo hit answers the same
      if (first !== undefined) {
        // Same origin as the configured base, and path-normalised like a fresh parse.
        assert.ok(first.startsWith(`${reference(b)}/`));
        assert.equal(normalizeHtu(first), first);
      }
    }),
    { numRuns: 300 },
  );
  for (const junk of ['', 'nope', 'ftp://x/', 'https://u:p@h/', `https://h/${'a'.repeat(5000)}`]) {
    assert.equal(normalizeHtu(junk), undefined);
    assert.equal(normalizeHtu(junk), undefined);
  }
  assert.equal(requestHtu('https://gw.example', '//evil.example/x'), undefined);
});
