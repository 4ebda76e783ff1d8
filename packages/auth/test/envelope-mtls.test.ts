import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { manualClock } from '@stella/core';
import {
  AuthError,
  assertPeerIdentity,
  importJwks,
  parseClientCertHeader,
  signIdentityEnvelope,
  spiffeIdOf,
  verifyIdentityEnvelope,
  verifyIdentityEnvelopeOffThread,
  x5tS256,
} from '../src/index.ts';
import type { IdentityEnvelopeClaims } from '../src/index.ts';
import { NOW, NOW_MS, signJws, testKey } from './helpers.ts';

const gw = testKey('ES256');
const keys = importJwks({ keys: [{ ...gw.jwk, kid: 'gw1' }] });
const claims: IdentityEnvelopeClaims = {
  iss: 'gateway',
  aud: 'signer',
  iat: NOW,
  exp: NOW + 30,
  tid: 'acme',
  client_id: 'ci',
  scope: 'signer:sign',
  jti: 'tok-1',
  cnf: { jkt: 'A'.repeat(43) },
  cid: 'corr-1',
};
const opts = { keys, audience: 'signer', clock: manualClock(NOW_MS), expectedTokenJti: 'tok-1' };
const bad = (detail: RegExp) => (e: unknown) =>
  e instanceof AuthError && e.code === 'invalid_identity_envelope' && detail.test(e.detail ?? '');

test('identity envelope round trip (ES256 and EdDSA)', () => {
  assert.deepEqual(
    verifyIdentityEnvelope(signIdentityEnvelope(claims, gw.privateKey, 'gw1'), opts),
    claims,
  );
  const ed = testKey('EdDSA');
  const edKeys = importJwks({ keys: [{ ...ed.jwk, kid: 'gw2' }] });
  assert.equal(
    verifyIdentityEnvelope(signIdentityEnvelope(claims, ed.privateKey, 'gw2'), {
      ...opts,
      keys: edKeys,
    }).cid,
    'corr-1',
  );
});

test('identity envelope negatives', () => {
  const sign = (c: object, h: Record<string, unknown> = {}, k = gw) =>
    signJws({ typ: 'stella-identity+jwt', alg: k.alg, kid: 'gw1', ...h }, { ...claims, ...c }, k);
  assert.throws(
    () => signIdentityEnvelope({ ...claims, exp: NOW + 31 }, gw.privateKey, 'gw1'),
    TypeError,
  );
  assert.throws(() => verifyIdentityEnvelope(sign({}, { typ: 'JWT' }), opts), bad(/typ/));
  assert.throws(() => verifyIdentityEnvelope(sign({}, { kid: 'x' }), opts), bad(/kid/));
  assert.throws(() => verifyIdentityEnvelope(sign({}, {}, testKey()), opts), bad(/signature/));
  assert.throws(() => verifyIdentityEnvelope(sign({ iss: 'evil' }), opts), bad(/iss/));
  assert.throws(() => verifyIdentityEnvelope(sign({ aud: 'attestor' }), opts), bad(/aud/));
  assert.throws(() => verifyIdentityEnvelope(sign({ exp: NOW + 60 }), opts), bad(/lifetime/));
  assert.throws(
    () => verifyIdentityEnvelope(sign({ iat: NOW - 60, exp: NOW - 35 }), opts),
    bad(/expired/),
  );
  assert.throws(
    () => verifyIdentityEnvelope(sign({ iat: NOW + 20, exp: NOW + 30 }), opts),
    bad(/future/),
  );
  assert.throws(() => verifyIdentityEnvelope(sign({ jti: 'other' }), opts), bad(/jti/));
  assert.throws(() => verifyIdentityEnvelope(sign({ tid: 'Bad Tenant' }), opts), bad(/tid/));
  assert.throws(() => verifyIdentityEnvelope(sign({ cnf: null }), opts), bad(/cnf/));
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      assert.throws(() => verifyIdentityEnvelope(s, opts), AuthError);
    }),
  );
});

/** Both verifiers on one input: the same claims, or the same refusal (code and detail). */
async function outcomes(jws: string, options = opts) {
  const of = (run: () => unknown) => {
    try {
      return { ok: run() };
    } catch (error) {
      return { refused: error instanceof AuthError ? `${error.code}: ${error.detail}` : error };
    }
  };
  const sync = of(() => verifyIdentityEnvelope(jws, options));
  let offThread: unknown;
  try {
    offThread = { ok: await verifyIdentityEnvelopeOffThread(jws, options) };
  } catch (error) {
    offThread = {
      refused: error instanceof AuthError ? `${error.code}: ${error.detail}` : error,
    };
  }
  return { sync, offThread };
}

test('the thread-pool envelope verifier answers exactly as the synchronous one', async () => {
  const sign = (c: object, h: Record<string, unknown> = {}, k = gw) =>
    signJws({ typ: 'stella-identity+jwt', alg: k.alg, kid: 'gw1', ...h }, { ...claims, ...c }, k);
  const good = signIdentityEnvelope(claims, gw.privateKey, 'gw1');
  const cases = [
    good,
    sign({}, { typ: 'JWT' }),
    sign({}, { kid: 'x' }),
    sign({}, {}, testKey()),
    sign({ iss: 'evil' }),
    sign({ exp: NOW + 60 }),
    sign({ jti: 'other' }),
    sign({ cnf: null }),
    `${good.slice(0, -4)}AAAA`, // signature bytes changed
    good.replace(/^[^.]+/, (h) => h.slice(0, -2)), // header truncated
  ];
  for (const jws of cases) {
    const { sync, offThread } = await outcomes(jws);
    assert.deepEqual(offThread, sync, jws.slice(0, 40));
  }
  assert.deepEqual((await outcomes(good)).offThread, { ok: claims });
  // Any single-character change anywhere: still the same answer from both.
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: good.length - 1 }),
      fc.constantFrom('A', '_', '.', 'z'),
      async (i, ch) => {
        const mutated = good.slice(0, i) + ch + good.slice(i + 1);
        const { sync, offThread } = await outcomes(mutated);
        assert.deepEqual(offThread, sync);
      },
    ),
    { numRuns: 60 },
  );
});

const pem = readFileSync(new URL('./testdata/client-cert.pem', import.meta.url));
const der = new Uint8Array(new X509Certificate(pem).raw);

test('x5tS256 is b64url SHA-256 of the DER (RFC 8705 §3.1)', () => {
  assert.equal(x5tS256(der), createHash('sha256').update(der).digest('base64url'));
});

test('Client-Cert header: RFC 9440 byte sequence parses; malformed values refused', () => {
  const header = `:${Buffer.from(der).toString('base64')}:`;
  assert.deepEqual(parseClientCertHeader(header), der);
  const invalid = (v: string) =>
    assert.throws(
      () => parseClientCertHeader(v),
      (e: unknown) => e instanceof AuthError && e.code === 'invalid_request',
    );
  invalid(Buffer.from(der).toString('base64'));
  invalid('::');
  invalid(`:${Buffer.from('not a cert').toString('base64')}:`);
  invalid(`:${Buffer.from(der).toString('base64url')}:`);
  invalid(`:${'A'.repeat(20_000)}:`);
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        parseClientCertHeader(s);
        return false;
      } catch (e) {
        return e instanceof AuthError;
      }
    }),
  );
});

test('spiffeIdOf and assertPeerIdentity', () => {
  const gwCert = new X509Certificate(
    readFileSync(new URL('./testdata/gateway-cert.pem', import.meta.url)),
  );
  const peer = { raw: new Uint8Array(gwCert.raw), subjectaltname: gwCert.subjectAltName ?? '' };
  assert.equal(spiffeIdOf(peer), 'spiffe://stella.local/svc/gateway');
  assert.equal(
    assertPeerIdentity(peer, ['spiffe://stella.local/svc/gateway']),
    'spiffe://stella.local/svc/gateway',
  );
  const untrusted = (e: unknown) => e instanceof AuthError && e.code === 'untrusted_peer';
  assert.throws(() => assertPeerIdentity(peer, ['spiffe://stella.local/svc/signer']), untrusted);
  assert.throws(
    () => assertPeerIdentity(undefined, ['spiffe://stella.local/svc/gateway']),
    untrusted,
  );
  assert.equal(
    spiffeIdOf({ subjectaltname: 'URI:spiffe://a/svc/x, URI:spiffe://a/svc/y' }),
    undefined,
  );
  assert.equal(spiffeIdOf({ subjectaltname: 'URI:"spiffe://a/svc/x, DNS:y"' }), undefined);
  assert.equal(spiffeIdOf({ subjectaltname: 'URI:urn:stellaops:client:x' }), undefined);
});
