import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createIdGenerator, isStellaError, manualClock, systemClock } from '@stella/core';
import { verifyDpopProof } from '@stella/auth';
import { parseProfile } from '../../src/client/profile.ts';
import { athOf, createDpopProof, generateDpopKey } from '../../src/client/dpop-proof.ts';
import { isNonceChallenge } from '../../src/client/dpop-session.ts';

const good = {
  issuer: 'https://127.0.0.1:8443/',
  gateway: 'https://127.0.0.1:8443',
  clientId: 'demo',
  tenant: 'default',
  authMethod: 'private_key_jwt',
  privateKey: 'file:/abs/demo.private.jwk.json',
  caFile: 'ca.pem',
};

const refusedProfile = (error: unknown) => isStellaError(error) && error.code === 'invalid_profile';

test('a profile parses, trailing slashes go and relative files anchor at the profile dir', () => {
  const p = parseProfile(JSON.stringify(good), '/data/clients');
  assert.equal(p.issuer, 'https://127.0.0.1:8443');
  assert.equal(p.caFile, '/data/clients/ca.pem');
  const mtls = parseProfile(
    JSON.stringify({
      ...good,
      authMethod: 'tls_client_auth',
      privateKey: undefined,
      certFile: 'c.pem',
      keyFile: '/k.pem',
    }),
    '/p',
  );
  assert.equal(mtls.certFile, '/p/c.pem');
  assert.equal(mtls.keyFile, '/k.pem');
});

test('bad profiles are refused with invalid_profile (named after the mutation)', () => {
  const mutations: Record<string, string> = {
    'unknown-key': JSON.stringify({ ...good, extra: 1 }),
    'duplicate-key': JSON.stringify(good).replace('{', '{"clientId":"x",'),
    'issuer-not-url': JSON.stringify({ ...good, issuer: 'ftp://x' }),
    'issuer-userinfo': JSON.stringify({ ...good, issuer: 'https://u:p@x' }),
    'tenant-uppercase': JSON.stringify({ ...good, tenant: 'Default' }),
    'auth-method-unknown': JSON.stringify({ ...good, authMethod: 'client_secret_post' }),
    'key-inlined-not-ref': JSON.stringify({ ...good, privateKey: '{"kty":"EC","d":"…"}' }),
    'private-key-jwt-without-key': JSON.stringify({ ...good, privateKey: undefined }),
    'tls-with-private-key': JSON.stringify({
      ...good,
      authMethod: 'tls_client_auth',
      certFile: 'c',
      keyFile: 'k',
    }),
    'not-json': '{issuer:',
    array: '[]',
  };
  for (const [name, text] of Object.entries(mutations)) {
    assert.throws(() => parseProfile(text, '/'), refusedProfile, name);
  }
});

test('property: parseProfile returns a profile or throws invalid_profile, for any input', () => {
  const field = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.webUrl());
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc
          .record({
            issuer: field,
            gateway: field,
            clientId: field,
            tenant: field,
            authMethod: field,
          })
          .map((r) => JSON.stringify({ ...good, ...r })),
      ),
      (text) => {
        try {
          const p = parseProfile(text, '/');
          assert.match(p.tenant, /^[a-z0-9][a-z0-9-]*$/);
        } catch (error) {
          assert.ok(refusedProfile(error), String(error));
        }
      },
    ),
  );
});

test('DPoP proofs verify with @stella/auth: htu without query, ath, nonce, fresh jti', () => {
  const key = generateDpopKey();
  const clock = manualClock(Date.UTC(2025, 0, 1));
  const ids = createIdGenerator(clock);
  const url = 'https://gw.example:8443/api/v1/evidence/sha256:ab?x=1#frag';
  const a = createDpopProof(key, { htm: 'GET', url, accessToken: 'tok', nonce: 'n1' }, clock, ids);
  const b = createDpopProof(key, { htm: 'GET', url, accessToken: 'tok', nonce: 'n1' }, clock, ids);
  const verified = verifyDpopProof({
    proofs: [a],
    method: 'GET',
    url: 'https://gw.example:8443/api/v1/evidence/sha256:ab',
    accessToken: 'tok',
    nonce: { required: true, isValid: (n) => n === 'n1' },
    clock,
  });
  assert.equal(verified.nonce, 'n1');
  assert.equal(verified.htu, 'https://gw.example:8443/api/v1/evidence/sha256:ab');
  const jtiOf = (p: string) =>
    (JSON.parse(Buffer.from(p.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  assert.notEqual(jtiOf(a), jtiOf(b));
  assert.ok(jtiOf(a).length >= 22, '≥ 128 bits of jti');
  // bound to the token: a different token fails the ath check
  assert.throws(() =>
    verifyDpopProof({ proofs: [a], method: 'GET', url, accessToken: 'other', clock }),
  );
  // a proof for one method is not one for another
  assert.throws(() => verifyDpopProof({ proofs: [a], method: 'PUT', url, clock }));
  assert.equal(athOf('tok'), createHash('sha256').update('tok').digest('base64url'));
});

test('property: proofs for any path and query verify against the URL without its query', () => {
  const key = generateDpopKey();
  const ids = createIdGenerator(systemClock);
  fc.assert(
    fc.property(fc.webPath(), fc.webQueryParameters(), (p, q) => {
      const base = `https://127.0.0.1:8443${p.startsWith('/') ? p : `/${p}`}`;
      const proof = createDpopProof(key, { htm: 'POST', url: `${base}?${q}` }, systemClock, ids);
      verifyDpopProof({ proofs: [proof], method: 'POST', url: base, clock: systemClock });
    }),
    { numRuns: 100 },
  );
});

test('nonce challenges are recognised only as RFC 9449 §9 401 DPoP use_dpop_nonce', () => {
  const res = (status: number, challenge?: string) => ({
    status,
    headers: challenge === undefined ? {} : { 'www-authenticate': challenge },
    body: new Uint8Array(),
  });
  assert.equal(
    isNonceChallenge(res(401, 'DPoP error="use_dpop_nonce", error_description="x"')),
    true,
  );
  assert.equal(isNonceChallenge(res(401, 'DPoP algs="ES256", error="invalid_token"')), false);
  assert.equal(isNonceChallenge(res(401, 'Bearer error="use_dpop_nonce"')), false);
  assert.equal(isNonceChallenge(res(400, 'DPoP error="use_dpop_nonce"')), false);
  assert.equal(isNonceChallenge(res(401)), false);
});
