import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { manualClock } from '@stella/core';
import {
  AuthError,
  createKeyCache,
  verifyDpopProof,
  verifyDpopProofOffThread,
} from '../src/index.ts';
import type { VerifyDpopProofOptions } from '../src/index.ts';
import {
  NOW,
  NOW_MS,
  athOf,
  b64u,
  dpopProof,
  jwkThumbprintRef,
  signJws,
  testKey,
} from './helpers.ts';

const rfc = JSON.parse(
  readFileSync(new URL('./testdata/dpop-rfc9449.json', import.meta.url), 'utf8'),
) as { proof: string; method: string; url: string; nowMs: number; jti: string; jkt: string };

const key = testKey('ES256');
const URL_ = 'https://api.example.com/v1/sign';
const base = (
  proof: string,
  extra: Partial<VerifyDpopProofOptions> = {},
): VerifyDpopProofOptions => ({
  proofs: [proof],
  method: 'POST',
  url: URL_,
  clock: manualClock(NOW_MS),
  ...extra,
});

function refused(options: VerifyDpopProofOptions, code: string, detail?: RegExp): void {
  assert.throws(
    () => verifyDpopProof(options),
    (error: unknown) =>
      error instanceof AuthError &&
      error.code === code &&
      (detail === undefined || detail.test(error.detail ?? '')),
  );
}

test('rfc9449-4.1-example verifies at its iat', () => {
  const result = verifyDpopProof({
    proofs: [rfc.proof],
    method: rfc.method,
    url: rfc.url,
    clock: manualClock(rfc.nowMs),
    expectedJkt: rfc.jkt,
  });
  assert.equal(result.jti, rfc.jti);
  assert.equal(result.jkt, rfc.jkt);
  assert.equal(result.htu, 'https://server.example.com/token');
  assert.equal(result.iat, 1562262616);
});

/** Both verifiers on one input: the same proof, or the same refusal (code and detail). */
async function bothAnswers(options: VerifyDpopProofOptions) {
  const answer = (error: unknown) =>
    error instanceof AuthError ? { refused: `${error.code}: ${error.detail}` } : { threw: error };
  let sync;
  try {
    sync = { ok: verifyDpopProof(options) };
  } catch (error) {
    sync = answer(error);
  }
  let offThread;
  try {
    offThread = { ok: await verifyDpopProofOffThread(options) };
  } catch (error) {
    offThread = answer(error);
  }
  return { sync, offThread };
}

test('the thread-pool verifier answers exactly as the synchronous one (RFC vector, mutations)', async () => {
  for (const offsetMs of [0, 31_000, -31_000]) {
    const { sync, offThread } = await bothAnswers({
      proofs: [rfc.proof],
      method: rfc.method,
      url: rfc.url,
      clock: manualClock(rfc.nowMs + offsetMs),
      expectedJkt: rfc.jkt,
    });
    assert.deepEqual(offThread, sync);
  }
  const good = dpopProof(key);
  assert.ok('ok' in (await bothAnswers(base(good))).offThread);
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: good.length - 1 }),
      fc.constantFrom('A', 'Q', '_', '-', '.', 'z'),
      async (i, ch) => {
        const mutated = good.slice(0, i) + ch + good.slice(i + 1);
        const { sync, offThread } = await bothAnswers(base(mutated));
        assert.deepEqual(offThread, sync);
      },
    ),
    { numRuns: 80 },
  );
});

test('rfc9449-4.1-example refused 31 s later and for GET', () => {
  refused(
    { proofs: [rfc.proof], method: 'POST', url: rfc.url, clock: manualClock(rfc.nowMs + 31_000) },
    'invalid_dpop_proof',
    /iat too old/,
  );
  refused(
    { proofs: [rfc.proof], method: 'GET', url: rfc.url, clock: manualClock(rfc.nowMs) },
    'invalid_dpop_proof',
    /htm/,
  );
});

test('thumbprint agrees with jose (RFC 7638 reference) for P-256 and Ed25519', async () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const k = testKey(alg);
    const result = verifyDpopProof(base(dpopProof(k)));
    assert.equal(result.jkt, await calculateJwkThumbprint(k.jwk as never, 'sha256'));
    assert.equal(result.jkt, jwkThumbprintRef(k.jwk));
  }
});

test('valid EdDSA proof with ath and expected jkt', () => {
  const k = testKey('EdDSA');
  const token = 'access.token.value';
  const proof = dpopProof(k, { ath: athOf(token) });
  const result = verifyDpopProof(
    base(proof, { accessToken: token, expectedJkt: jwkThumbprintRef(k.jwk) }),
  );
  assert.equal(result.publicJwk.kty, 'OKP');
});

test('negative vectors named after the mutation', () => {
  const noClaim = (name: string) => {
    const claims: Record<string, unknown> = { jti: 'j1', htm: 'POST', htu: URL_, iat: NOW };
    delete claims[name];
    return signJws({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }, claims, key);
  };
  const cases: [string, VerifyDpopProofOptions, string, RegExp][] = [
    ['typ-jwt', base(dpopProof(key, {}, { typ: 'JWT' })), 'invalid_dpop_proof', /typ/],
    [
      'alg-none',
      base(
        `${b64u(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }))}.${b64u(JSON.stringify({ jti: 'x', htm: 'POST', htu: URL_, iat: NOW }))}.`,
      ),
      'invalid_dpop_proof',
      /malformed/,
    ],
    ['alg-none-with-sig', base(dpopProof(key, {}, { alg: 'none' })), 'invalid_dpop_proof', /alg/],
    ['alg-hs256', base(dpopProof(key, {}, { alg: 'HS256' })), 'invalid_dpop_proof', /alg/],
    [
      'alg-es256-with-ed25519-jwk',
      base(dpopProof(key, {}, { jwk: testKey('EdDSA').jwk })),
      'invalid_dpop_proof',
      /kty\/crv/,
    ],
    [
      'jwk-has-d',
      base(dpopProof(key, {}, { jwk: { ...key.jwk, d: b64u(new Uint8Array(32)) } })),
      'invalid_dpop_proof',
      /private/,
    ],
    ['jwk-missing', base(dpopProof(key, {}, { jwk: undefined })), 'invalid_dpop_proof', /jwk/],
    [
      'two-dpop-headers',
      { ...base(dpopProof(key)), proofs: [dpopProof(key), dpopProof(key)] },
      'invalid_dpop_proof',
      /count 2/,
    ],
    ['no-dpop-header', { ...base(dpopProof(key)), proofs: [] }, 'invalid_dpop_proof', /count 0/],
    ['jti-missing', base(noClaim('jti')), 'invalid_dpop_proof', /jti/],
    ['jti-too-long', base(dpopProof(key, { jti: 'x'.repeat(257) })), 'invalid_dpop_proof', /jti/],
    ['htm-missing', base(noClaim('htm')), 'invalid_dpop_proof', /htm missing/],
    ['htu-missing', base(noClaim('htu')), 'invalid_dpop_proof', /htu missing/],
    ['iat-missing', base(noClaim('iat')), 'invalid_dpop_proof', /iat missing/],
    ['htm-mismatch', base(dpopProof(key, { htm: 'GET' })), 'invalid_dpop_proof', /htm mismatch/],
    ['htm-lowercase', base(dpopProof(key, { htm: 'post' })), 'invalid_dpop_proof', /htm mismatch/],
    [
      'htu-path-differs',
      base(dpopProof(key, { htu: 'https://api.example.com/v1/sign2' })),
      'invalid_dpop_proof',
      /htu/,
    ],
    [
      'htu-host-differs',
      base(dpopProof(key, { htu: 'https://evil.example.com/v1/sign' })),
      'invalid_dpop_proof',
      /htu/,
    ],
    [
      'htu-scheme-differs',
      base(dpopProof(key, { htu: 'http://api.example.com/v1/sign' })),
      'invalid_dpop_proof',
      /htu/,
    ],
    ['htu-not-a-url', base(dpopProof(key, { htu: 'not a url' })), 'invalid_dpop_proof', /htu/],
    ['iat-plus-31', base(dpopProof(key, { iat: NOW + 31 })), 'invalid_dpop_proof', /future/],
    ['iat-minus-31', base(dpopProof(key, { iat: NOW - 31 })), 'invalid_dpop_proof', /too old/],
    [
      'signed-by-other-key',
      base(
        signJws(
          { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk },
          { jti: 'a', htm: 'POST', htu: URL_, iat: NOW },
          testKey('ES256'),
        ),
      ),
      'invalid_dpop_proof',
      /signature/,
    ],
    [
      'ath-mismatch',
      base(dpopProof(key, { ath: athOf('other') }), { accessToken: 'token' }),
      'invalid_dpop_proof',
      /ath mismatch/,
    ],
    [
      'ath-missing',
      base(dpopProof(key), { accessToken: 'token' }),
      'invalid_dpop_proof',
      /ath missing/,
    ],
    [
      'thumbprint-mismatch',
      base(dpopProof(key), { expectedJkt: jwkThumbprintRef(testKey().jwk) }),
      'invalid_dpop_proof',
      /jkt/,
    ],
    ['crit-header', base(dpopProof(key, {}, { crit: ['x'] })), 'invalid_dpop_proof', /crit/],
    [
      'oversized',
      base(dpopProof(key, { pad: 'x'.repeat(9000) })),
      'invalid_dpop_proof',
      /too large/,
    ],
  ];
  for (const [name, options, code, detail] of cases) {
    assert.throws(
      () => verifyDpopProof(options),
      (e: unknown) => e instanceof AuthError && e.code === code && detail.test(e.detail ?? ''),
      name,
    );
  }
});

test('accepted normalizations: query ignored, case/port/percent/dot segments', () => {
  const accepted: [string, string][] = [
    ['htu-query-differs', 'https://api.example.com/v1/sign?a=1#frag'],
    ['htu-host-case', 'HTTPS://API.Example.COM/v1/sign'],
    ['htu-default-port', 'https://api.example.com:443/v1/sign'],
    ['htu-percent-unreserved', 'https://api.example.com/v1/%73ign'],
    ['htu-dot-segments', 'https://api.example.com/v1/x/../sign'],
  ];
  for (const [name, htu] of accepted) {
    assert.doesNotThrow(() => verifyDpopProof(base(dpopProof(key, { htu }))), name);
  }
  // The request URL is normalized too, and its query is ignored.
  assert.doesNotThrow(() =>
    verifyDpopProof({ ...base(dpopProof(key)), url: 'https://API.example.com:443/v1/sign?x=y' }),
  );
  refused(
    base(dpopProof(key, { htu: 'https://api.example.com:8443/v1/sign' })),
    'invalid_dpop_proof',
    /htu/,
  );
  refused(
    base(dpopProof(key, { htu: 'https://api.example.com/v1/SIGN' })),
    'invalid_dpop_proof',
    /htu/,
  );
});

test('iat exactly ±30 s is accepted', () => {
  assert.doesNotThrow(() => verifyDpopProof(base(dpopProof(key, { iat: NOW + 30 }))));
  assert.doesNotThrow(() => verifyDpopProof(base(dpopProof(key, { iat: NOW - 30 }))));
});

test('nonce: missing, stale, wrong and valid', () => {
  const nonce = { required: true, isValid: (n: string) => n === 'good-nonce' };
  refused(base(dpopProof(key), { nonce }), 'use_dpop_nonce', /missing/);
  refused(base(dpopProof(key, { nonce: 'stale-nonce' }), { nonce }), 'use_dpop_nonce', /invalid/);
  refused(base(dpopProof(key, { nonce: 42 }), { nonce }), 'invalid_dpop_proof', /nonce/);
  assert.equal(
    verifyDpopProof(base(dpopProof(key, { nonce: 'good-nonce' }), { nonce })).nonce,
    'good-nonce',
  );
  // Not required: absence is fine, but a presented nonce is still checked.
  assert.doesNotThrow(() =>
    verifyDpopProof(base(dpopProof(key), { nonce: { ...nonce, required: false } })),
  );
  refused(
    base(dpopProof(key, { nonce: 'bad' }), { nonce: { ...nonce, required: false } }),
    'use_dpop_nonce',
  );
});

test('the key cache imports a proof key once and refuses on a tampered proof all the same', () => {
  const cache = createKeyCache(2);
  const seen: string[] = [];
  const tracking = {
    get: (k: string) => cache.get(k),
    set: (k: string, v: KeyObject) => {
      seen.push(k);
      cache.set(k, v);
    },
  };
  verifyDpopProof(base(dpopProof(key), { keyCache: tracking }));
  verifyDpopProof(base(dpopProof(key), { keyCache: tracking }));
  assert.equal(seen.length, 1);
  const other = signJws(
    { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk },
    { jti: 'a', htm: 'POST', htu: URL_, iat: NOW },
    testKey(),
  );
  refused(base(other, { keyCache: tracking }), 'invalid_dpop_proof', /signature/);
});

test('property: arbitrary strings as proofs never throw anything but AuthError', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 3 }), (proofs) => {
      try {
        verifyDpopProof({ ...base(''), proofs });
        return false;
      } catch (error) {
        return error instanceof AuthError;
      }
    }),
  );
  fc.assert(
    fc.property(fc.json(), fc.json(), (h, p) => {
      const proof = `${b64u(h)}.${b64u(p)}.${b64u('sig')}`;
      assert.throws(() => verifyDpopProof(base(proof)), AuthError);
    }),
  );
});

test('property: any single-character mutation of a valid proof is refused', () => {
  const proof = dpopProof(key);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  verifyDpopProof(base(proof));
  fc.assert(
    fc.property(fc.nat({ max: proof.length - 1 }), fc.constantFrom(...alphabet), (i, c) => {
      fc.pre(proof[i] !== c);
      const mutated = proof.slice(0, i) + c + proof.slice(i + 1);
      assert.throws(() => verifyDpopProof(base(mutated)), AuthError);
    }),
    { numRuns: 500 },
  );
});
