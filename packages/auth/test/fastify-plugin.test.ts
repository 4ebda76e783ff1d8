import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { authPlugin } from '../src/index.ts';
import type { AuthDeniedEvent } from '../src/index.ts';
import { accessToken, nonceIssuer, proofFor, verifier } from './fixture.ts';

const PATH = '/api/v1/signer/sign/dsse';

async function app(denied: AuthDeniedEvent[] = []) {
  const a = Fastify();
  await a.register(authPlugin, {
    verifier: verifier(),
    nonceIssuer,
    realm: 'stella',
    correlationId: () => 'corr-1',
    onDenied: (e) => {
      denied.push(e);
    },
  });
  a.post(PATH, { config: { auth: { scopes: ['signer:sign'], tenant: true } } }, async (req) => ({
    tenant: req.principal?.tenant,
  }));
  a.post(
    '/admin',
    { config: { auth: { scopes: ['authority:admin'], tenant: false } } },
    async () => ({ ok: true }),
  );
  a.post('/nonce', { config: { auth: { scopes: [], tenant: false, nonce: true } } }, async () => ({
    ok: true,
  }));
  a.get('/health', { config: { auth: 'public' } }, async () => ({ ok: true }));
  return a;
}

test('success: principal decorated and a fresh DPoP-Nonce sent', async () => {
  const t = accessToken();
  const res = await (
    await app()
  ).inject({
    method: 'POST',
    url: PATH,
    headers: {
      authorization: `DPoP ${t}`,
      dpop: proofFor(t, 'POST', PATH),
      'x-stellaops-tenant': 'acme',
    },
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { tenant: 'acme' });
  assert.equal(res.headers['dpop-nonce'], nonceIssuer.current());
});

test('no credentials: 401, challenge without error, platform body, onDenied called', async () => {
  const denied: AuthDeniedEvent[] = [];
  const res = await (await app(denied)).inject({ method: 'POST', url: PATH });
  assert.equal(res.statusCode, 401);
  assert.equal(
    res.headers['www-authenticate'],
    'DPoP realm="stella", algs="ES256 EdDSA", Bearer realm="stella"',
  );
  assert.equal(
    res.body,
    '{"error":{"code":"authentication_required","message":"authentication is required","correlationId":"corr-1"}}',
  );
  assert.equal(denied.length, 1);
  assert.equal(denied[0]?.code, 'authentication_required');
  assert.equal(denied[0]?.route, PATH);
});

test('insufficient scope, tenant mismatch, nonce challenge, two Authorization headers', async () => {
  const a = await app();
  let t = accessToken();
  let res = await a.inject({
    method: 'POST',
    url: '/admin',
    headers: { authorization: `DPoP ${t}`, dpop: proofFor(t, 'POST', '/admin') },
  });
  assert.equal(res.statusCode, 403);
  assert.equal(
    res.headers['www-authenticate'],
    'DPoP realm="stella", error="insufficient_scope", error_description="the access token does not carry the required scope", scope="authority:admin", algs="ES256 EdDSA"',
  );
  t = accessToken();
  res = await a.inject({
    method: 'POST',
    url: PATH,
    headers: {
      authorization: `DPoP ${t}`,
      dpop: proofFor(t, 'POST', PATH),
      'x-stellaops-tenant': 'other',
    },
  });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'tenant_mismatch');
  t = accessToken();
  res = await a.inject({
    method: 'POST',
    url: '/nonce',
    headers: { authorization: `DPoP ${t}`, dpop: proofFor(t, 'POST', '/nonce') },
  });
  assert.equal(res.statusCode, 401);
  assert.equal(
    res.headers['www-authenticate'],
    'DPoP realm="stella", error="use_dpop_nonce", error_description="a DPoP nonce is required", algs="ES256 EdDSA"',
  );
  assert.equal(res.headers['dpop-nonce'], nonceIssuer.current());
  t = accessToken();
  res = await a.inject({
    method: 'POST',
    url: PATH,
    headers: {
      authorization: [`DPoP ${t}`, `DPoP ${t}`] as unknown as string,
      dpop: proofFor(t, 'POST', PATH),
    },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'invalid_request');
});

test('public routes pass; unknown routes are 404; a route without config.auth cannot be registered', async () => {
  const a = await app();
  assert.equal((await a.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  assert.equal((await a.inject({ method: 'GET', url: '/nope' })).statusCode, 404);
  const b = Fastify();
  await b.register(authPlugin, { verifier: verifier() });
  assert.throws(() => b.get('/unprotected', async () => ({})), /config\.auth/);
});

test('onDenied carries the caller tenant/client after authentication, none before', async () => {
  const denied: AuthDeniedEvent[] = [];
  const a = await app(denied);
  let t = accessToken();
  await a.inject({
    method: 'POST',
    url: '/admin',
    headers: { authorization: `DPoP ${t}`, dpop: proofFor(t, 'POST', '/admin') },
  });
  t = accessToken();
  await a.inject({
    method: 'POST',
    url: PATH,
    headers: {
      authorization: `DPoP ${t}`,
      dpop: proofFor(t, 'POST', PATH),
      'x-stellaops-tenant': 'other',
    },
  });
  t = accessToken({ tid: undefined });
  await a.inject({
    method: 'POST',
    url: PATH,
    headers: { authorization: `DPoP ${t}`, dpop: proofFor(t, 'POST', PATH) },
  });
  await a.inject({ method: 'POST', url: PATH, headers: { authorization: 'DPoP garbage' } });
  assert.deepEqual(
    denied.map((e) => [e.code, e.tenant, e.clientId]),
    [
      ['insufficient_scope', 'acme', 'ci'],
      // The token's tenant, never the attacker-chosen header value.
      ['tenant_mismatch', 'acme', 'ci'],
      ['tenant_required', undefined, 'ci'],
      ['invalid_token', undefined, undefined],
    ],
  );
});
