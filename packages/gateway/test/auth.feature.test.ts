/**
 * Feature tests for the "Bad input" list: authentication, tenant resolution, scope check
 * and identity propagation through the real gateway with real `@stella/auth` verification.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXTERNAL, HOST, createFixture } from './helpers/fixture.ts';
import type { Fixture } from './helpers/fixture.ts';
import { createTestKey, mintAccessToken } from './helpers/tokens.ts';

let f: Fixture;
before(async () => {
  f = await createFixture();
});
after(() => f.close());

const SIGN = '/api/v1/signer/sign/dsse';
const READ = '/api/v1/attestor/log/checkpoint';
const DPOP_CHALLENGE =
  'DPoP error="invalid_token", error_description="the access token is invalid", algs="ES256 EdDSA"';

function sign(headers: Record<string, string>) {
  return f.service.app.inject({
    method: 'POST',
    url: SIGN,
    headers: { host: HOST, 'content-type': 'application/json', ...headers },
    payload: '{}',
  });
}

function read(headers: Record<string, string>) {
  return f.service.app.inject({ method: 'GET', url: READ, headers: { host: HOST, ...headers } });
}

function assertError(
  res: Awaited<ReturnType<typeof sign>>,
  status: number,
  code: string,
  message: string,
) {
  assert.equal(res.statusCode, status, res.body);
  assert.deepEqual(res.json(), {
    error: { code, message, correlationId: res.headers['x-correlation-id'] },
  });
  const event = f.audit.events.find((e) => e.correlationId === res.headers['x-correlation-id']);
  assert.equal(event?.reason, code, 'denial audited');
}

describe('authentication at the gateway', () => {
  test('no token → 401 with both challenges and no error code (RFC 6750 §3.1)', async () => {
    const res = await sign({});
    assertError(res, 401, 'authentication_required', 'authentication is required');
    assert.equal(res.headers['www-authenticate'], 'DPoP algs="ES256 EdDSA", Bearer');
  });

  test('malformed token → 401 invalid_token', async () => {
    const res = await sign({ authorization: 'DPoP not.a.jwt', dpop: 'x' });
    assertError(res, 401, 'invalid_token', 'the access token is invalid');
    assert.equal(res.headers['www-authenticate'], DPOP_CHALLENGE);
  });

  test('expired token → 401 invalid_token', async () => {
    const past = f.now() - 600;
    const headers = await f.dpopHeaders('POST', SIGN, { iat: past, exp: past + 120 });
    const res = await sign(headers);
    assertError(res, 401, 'invalid_token', 'the access token is invalid');
    assert.equal(res.headers['www-authenticate'], DPOP_CHALLENGE);
  });

  test('token for another audience → 401 invalid_token', async () => {
    const res = await sign(await f.dpopHeaders('POST', SIGN, { aud: 'attestor' }));
    assertError(res, 401, 'invalid_token', 'the access token is invalid');
  });

  test('token signed by an unknown key → 401 invalid_token', async () => {
    const stranger = await createTestKey();
    const at = await mintAccessToken(stranger, f.now(), { jkt: f.dpop.jkt });
    const proof = await f.dpop.proof('POST', `${EXTERNAL}${SIGN}`, {
      token: at,
      iat: f.now(),
      nonce: f.nonces.current(),
    });
    const res = await sign({ authorization: `DPoP ${at}`, dpop: proof });
    assertError(res, 401, 'invalid_token', 'the access token is invalid');
  });

  test('DPoP replay → 401 invalid_dpop_proof', async () => {
    const headers = await f.dpopHeaders('POST', SIGN);
    assert.equal((await sign(headers)).statusCode, 200);
    const res = await sign(headers);
    assertError(res, 401, 'invalid_dpop_proof', 'the DPoP proof is invalid');
    assert.match(String(res.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof"/);
  });

  test('DPoP proof for another URL → 401 invalid_dpop_proof', async () => {
    const at = await f.token();
    const proof = await f.dpop.proof('POST', `${EXTERNAL}/api/v1/attestor/verify`, {
      token: at,
      iat: f.now(),
      nonce: f.nonces.current(),
    });
    const res = await sign({ authorization: `DPoP ${at}`, dpop: proof });
    assertError(res, 401, 'invalid_dpop_proof', 'the DPoP proof is invalid');
  });

  test('DPoP htu is checked against the configured external URL, not Host', async () => {
    const at = await f.token();
    const proof = await f.dpop.proof('POST', `https://gw2.test.local${SIGN}`, {
      token: at,
      iat: f.now(),
      nonce: f.nonces.current(),
    });
    const res = await sign({ authorization: `DPoP ${at}`, dpop: proof });
    assertError(res, 401, 'invalid_dpop_proof', 'the DPoP proof is invalid');
  });

  test('Bearer downgrade of a DPoP-bound token → 401 invalid_token, DPoP challenge', async () => {
    const res = await sign({ authorization: `Bearer ${await f.token()}` });
    assertError(res, 401, 'invalid_token', 'the access token is invalid');
    assert.equal(res.headers['www-authenticate'], DPOP_CHALLENGE);
  });

  test('missing nonce on a nonce route → 401 use_dpop_nonce + DPoP-Nonce', async () => {
    const res = await sign(await f.dpopHeaders('POST', SIGN, {}, false));
    assertError(res, 401, 'use_dpop_nonce', 'a DPoP nonce is required');
    assert.equal(res.headers['dpop-nonce'], f.nonces.current());
    assert.match(String(res.headers['www-authenticate']), /^DPoP error="use_dpop_nonce"/);
  });

  test('two Authorization headers → 400 invalid_request', async () => {
    const headers = await f.dpopHeaders('POST', SIGN);
    const res = await f.service.app.inject({
      method: 'POST',
      url: SIGN,
      headers: {
        host: HOST,
        'content-type': 'application/json',
        authorization: [headers.authorization as string, 'Bearer x'] as unknown as string,
        dpop: headers.dpop as string,
      },
      payload: '{}',
    });
    assertError(res, 400, 'invalid_request', 'the request is malformed');
  });

  test('scope missing → 403 insufficient_scope naming the scope', async () => {
    const res = await read(
      await f.dpopHeaders('GET', READ, { aud: 'attestor', scope: 'evidence:read' }),
    );
    assertError(
      res,
      403,
      'insufficient_scope',
      'the access token does not carry the required scope',
    );
    assert.equal(
      res.headers['www-authenticate'],
      'DPoP error="insufficient_scope", error_description="the access token does not carry the required scope", scope="attestor:read", algs="ES256 EdDSA"',
    );
  });

  test('cross-tenant X-StellaOps-Tenant → 403 tenant_mismatch', async () => {
    const headers = await f.dpopHeaders('GET', READ, { aud: 'attestor', scope: 'attestor:read' });
    const res = await read({ ...headers, 'x-stellaops-tenant': 'tenant-b' });
    assertError(res, 403, 'tenant_mismatch', 'the requested tenant does not match the token');
  });

  test('tenant-scoped route with a token without tid → 403 tenant_required', async () => {
    const headers = await f.dpopHeaders('GET', READ, {
      aud: 'attestor',
      scope: 'attestor:read',
      tid: undefined,
    });
    const res = await read(headers);
    assertError(res, 403, 'tenant_required', 'this route requires a tenant');
  });

  test('spoofed identity headers are stripped; the gateway sets its own', async () => {
    const headers = await f.dpopHeaders('GET', READ, { aud: 'attestor', scope: 'attestor:read' });
    const res = await read({
      ...headers,
      'x-stellaops-tenant': 'tenant-a', // agrees with tid: allowed, but still re-set by the gateway
      'x-stellaops-identity': 'eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0ZW5hbnQtYiJ9.',
      'x-stellaops-client': 'admin',
      'x-stellaops-scopes': 'authority:admin',
      'x-stellaops-anything': 'x',
      'client-cert': ':AAAA:',
      'x-forwarded-for': '10.0.0.1',
    });
    assert.equal(res.statusCode, 200, res.body);
    const seen = f.upstream.seen.at(-1);
    assert.equal(seen?.headers['x-stellaops-tenant'], 'tenant-a');
    assert.equal(seen?.headers['x-stellaops-client'], 'ci-client');
    assert.equal(seen?.headers['x-stellaops-scopes'], 'attestor:read');
    assert.equal(seen?.headers['x-stellaops-anything'], undefined);
    assert.equal(seen?.headers['client-cert'], undefined);
    assert.equal(seen?.headers['x-forwarded-for'], '127.0.0.1');
    assert.notEqual(
      seen?.headers['x-stellaops-identity'],
      'eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0ZW5hbnQtYiJ9.',
    );
    const [h, p] = String(seen?.headers['x-stellaops-identity']).split('.');
    assert.equal(
      JSON.parse(Buffer.from(h as string, 'base64url').toString()).typ,
      'stella-identity+jwt',
    );
    const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
    assert.equal(claims.aud, 'attestor');
    assert.equal(claims.tid, 'tenant-a');
    assert.equal(claims.cid, res.headers['x-correlation-id']);
    assert.ok(claims.exp - claims.iat <= 30);
    assert.equal(seen?.headers['x-correlation-id'], res.headers['x-correlation-id']);
  });

  test('no token, secret or proof in logs or audit events', async () => {
    const headers = await f.dpopHeaders('POST', SIGN);
    await sign(headers);
    await sign(headers); // replay → refused and logged
    const dump = JSON.stringify(f.logger.lines) + JSON.stringify(f.audit.events);
    assert.equal(dump.includes(String(headers.dpop)), false);
    assert.equal(dump.includes(String(headers.authorization).slice(5)), false);
  });
});
