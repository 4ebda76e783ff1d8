import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, authErrorCodes, toTokenEndpointError } from '../src/index.ts';

test('RFC 6750 §3.1: no error param when no credentials were sent', () => {
  const c = new AuthError('authentication_required', { scheme: 'DPoP Bearer' }).toChallenge({
    realm: 'stella',
  });
  assert.equal(c.status, 401);
  assert.equal(
    c.headers['www-authenticate'],
    'DPoP realm="stella", algs="ES256 EdDSA", Bearer realm="stella"',
  );
});

test('Bearer and DPoP challenges with error, description and scope', () => {
  assert.equal(
    new AuthError('invalid_token').toChallenge().headers['www-authenticate'],
    'Bearer error="invalid_token", error_description="the access token is invalid"',
  );
  const scope = new AuthError('insufficient_scope', {
    scheme: 'DPoP',
    extra: { scope: 'signer:sign' },
  }).toChallenge({ correlationId: 'c1' });
  assert.equal(scope.status, 403);
  assert.equal(
    scope.headers['www-authenticate'],
    'DPoP error="insufficient_scope", error_description="the access token does not carry the required scope", scope="signer:sign", algs="ES256 EdDSA"',
  );
  assert.deepEqual(scope.body, {
    error: {
      code: 'insufficient_scope',
      message: 'the access token does not carry the required scope',
      correlationId: 'c1',
    },
  });
  const nonce = new AuthError('use_dpop_nonce', { scheme: 'DPoP', dpopNonce: 'n1' }).toChallenge();
  assert.equal(nonce.headers['dpop-nonce'], 'n1');
  assert.match(nonce.headers['www-authenticate'], /^DPoP error="use_dpop_nonce"/);
});

test('quoted-string escaping and no header injection', () => {
  const e = new AuthError('invalid_token', {
    realm: undefined,
    description: 'a "b" \\c\r\nSet-Cookie: x',
  } as never);
  const header = e.toChallenge({ realm: 'r"1' }).headers['www-authenticate'];
  assert.equal(
    header,
    'Bearer realm="r\\"1", error="invalid_token", error_description="a \\"b\\" \\\\cSet-Cookie: x"',
  );
  assert.doesNotMatch(header, /[\r\n]/);
});

test('token endpoint: DPoP errors are 400 OAuth bodies with DPoP-Nonce', () => {
  const r = toTokenEndpointError(new AuthError('use_dpop_nonce', { dpopNonce: 'n2' }));
  assert.deepEqual(r, {
    status: 400,
    headers: { 'dpop-nonce': 'n2' },
    body: { error: 'use_dpop_nonce', error_description: 'a DPoP nonce is required' },
  });
  assert.equal(toTokenEndpointError(new AuthError('invalid_dpop_proof')).status, 400);
});

test('the registry is closed, lowercase and maps to client/server statuses', () => {
  for (const [code, spec] of Object.entries(authErrorCodes)) {
    assert.match(code, /^[a-z][a-z_]*$/);
    assert.ok(spec.status >= 400 && spec.status < 600);
  }
});
