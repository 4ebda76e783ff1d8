import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AuthError, requireScopes, requireTenant, signIdentityEnvelope } from '../src/index.ts';
import type { VerifyRequestInput } from '../src/index.ts';
import { NOW } from './helpers.ts';
import {
  accessToken,
  clientCert,
  clientPeer,
  envelopeKeys,
  gatewayKey,
  gatewayPeer,
  mtlsToken,
  nonceIssuer,
  proofFor,
  verifier,
} from './fixture.ts';

const PATH = '/api/v1/signer/sign/dsse';
const dpopInput = (
  token = accessToken(),
  extra: Record<string, unknown> = {},
): VerifyRequestInput => ({
  method: 'POST',
  url: `${PATH}?x=1`,
  headers: { authorization: `DPoP ${token}`, dpop: proofFor(token, 'POST', PATH, extra) },
});
const refusedWith = (code: string, detail?: RegExp) => (e: unknown) =>
  e instanceof AuthError &&
  e.code === code &&
  (detail === undefined || detail.test(e.detail ?? ''));

test('DPoP-bound token with a valid proof yields the principal', async () => {
  const p = await verifier().verifyRequest(dpopInput());
  assert.equal(p.tenant, 'acme');
  assert.equal(p.clientId, 'ci');
  assert.deepEqual(p.scopes, ['signer:sign']);
  assert.match(p.tokenId, /^tok-/);
  assert.ok(p.cnf.jkt);
});

test('authorization header refusals', async () => {
  const v = verifier();
  await assert.rejects(
    v.verifyRequest({ method: 'GET', url: '/', headers: {} }),
    refusedWith('authentication_required'),
  );
  const t = accessToken();
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), headers: { authorization: [`DPoP ${t}`, `Bearer ${t}`] } }),
    refusedWith('invalid_request', /two/),
  );
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), headers: { authorization: `DPoP ${t}, Bearer ${t}` } }),
    refusedWith('invalid_request'),
  );
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), headers: { authorization: `Basic abc` } }),
    refusedWith('invalid_request'),
  );
  // Downgrade: DPoP-bound token as Bearer, and the challenge names DPoP.
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), headers: { authorization: `Bearer ${t}` } }),
    (e: unknown) => refusedWith('invalid_token', /bearer/)(e) && (e as AuthError).scheme === 'DPoP',
  );
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), headers: { authorization: `DPoP ${t}` } }),
    refusedWith('invalid_dpop_proof', /count 0/),
  );
  await assert.rejects(
    v.verifyRequest(dpopInput(accessToken({ cnf: undefined }))),
    refusedWith('invalid_token', /sender/),
  );
  await assert.rejects(
    v.verifyRequest(dpopInput(accessToken({ aud: 'attestor' }))),
    refusedWith('invalid_token', /aud/),
  );
});

test('replayed proof and wrong htu (Host never used)', async () => {
  const v = verifier();
  const input = dpopInput();
  await v.verifyRequest(input);
  await assert.rejects(v.verifyRequest(input), refusedWith('invalid_dpop_proof', /replayed/));
  const t = accessToken();
  await assert.rejects(
    v.verifyRequest({
      method: 'POST',
      url: '/other',
      headers: {
        authorization: `DPoP ${t}`,
        dpop: proofFor(t, 'POST', PATH),
        host: 'gw.example:8443',
      },
    }),
    refusedWith('invalid_dpop_proof', /htu/),
  );
  await assert.rejects(
    v.verifyRequest({ ...dpopInput(t), url: '@evil.example/x' }),
    refusedWith('invalid_request'),
  );
});

test('nonce required: missing nonce → use_dpop_nonce carrying a fresh nonce; valid nonce passes', async () => {
  const v = verifier({ requireNonce: true });
  await assert.rejects(
    v.verifyRequest(dpopInput()),
    (e: unknown) =>
      refusedWith('use_dpop_nonce')(e) && (e as AuthError).dpopNonce === nonceIssuer.current(),
  );
  await assert.rejects(
    v.verifyRequest(dpopInput(undefined, { nonce: 'A'.repeat(43) })),
    refusedWith('use_dpop_nonce', /invalid/),
  );
  await v.verifyRequest(dpopInput(undefined, { nonce: nonceIssuer.current() }));
  // Per-route override
  await verifier().verifyRequest(dpopInput());
  await assert.rejects(
    verifier().verifyRequest({ ...dpopInput(), requireNonce: true }),
    refusedWith('use_dpop_nonce'),
  );
});

test('mTLS-bound token: direct mode compares the peer certificate', async () => {
  const v = verifier();
  const t = mtlsToken();
  const input = { method: 'GET', url: '/x', headers: { authorization: `Bearer ${t}` } };
  assert.ok((await v.verifyRequest({ ...input, peerCertificate: clientPeer })).cnf['x5t#S256']);
  await assert.rejects(v.verifyRequest(input), refusedWith('invalid_token', /certificate/));
  await assert.rejects(
    v.verifyRequest({ ...input, peerCertificate: gatewayPeer }),
    refusedWith('invalid_token', /certificate/),
  );
  // Client-Cert is ignored in direct mode.
  const header = `:${Buffer.from(clientCert.raw).toString('base64')}:`;
  await assert.rejects(
    v.verifyRequest({ ...input, headers: { ...input.headers, 'client-cert': header } }),
    refusedWith('invalid_token', /certificate/),
  );
  await assert.rejects(
    v.verifyRequest({
      ...input,
      headers: { authorization: `DPoP ${t}` },
      peerCertificate: clientPeer,
    }),
    refusedWith('invalid_token', /dpop/),
  );
});

test('behind-gateway: peer must be the gateway, Client-Cert trusted there, envelope required', async () => {
  const v = verifier({
    mode: 'behind-gateway',
    gateway: { identities: ['spiffe://stella.local/svc/gateway'], envelopeKeys },
  });
  const t = mtlsToken({ jti: 'tok-gw' });
  const envelope = (c: Record<string, unknown> = {}) =>
    signIdentityEnvelope(
      {
        iss: 'gateway',
        aud: 'signer',
        iat: NOW,
        exp: NOW + 30,
        tid: 'acme',
        client_id: 'ci',
        scope: 'signer:sign',
        jti: 'tok-gw',
        cnf: {},
        cid: 'c1',
        ...c,
      } as never,
      gatewayKey.privateKey,
      'gw1',
    );
  const headers = {
    authorization: `Bearer ${t}`,
    'client-cert': `:${Buffer.from(clientCert.raw).toString('base64')}:`,
    'x-stellaops-identity': envelope(),
  };
  const input = { method: 'GET', url: '/x', headers, peerCertificate: gatewayPeer };
  assert.equal((await v.verifyRequest(input)).clientId, 'ci');
  await assert.rejects(
    v.verifyRequest({ ...input, peerCertificate: clientPeer }),
    refusedWith('untrusted_peer'),
  );
  await assert.rejects(
    v.verifyRequest({ ...input, headers: { ...headers, 'x-stellaops-identity': undefined } }),
    refusedWith('untrusted_peer'),
  );
  await assert.rejects(
    v.verifyRequest({
      ...input,
      headers: { ...headers, 'x-stellaops-identity': envelope({ aud: 'attestor' }) },
    }),
    refusedWith('invalid_identity_envelope', /aud/),
  );
  await assert.rejects(
    v.verifyRequest({
      ...input,
      headers: { ...headers, 'x-stellaops-identity': envelope({ jti: 'tok-other' }) },
    }),
    refusedWith('invalid_identity_envelope', /jti/),
  );
  await assert.rejects(
    v.verifyRequest({
      ...input,
      headers: { ...headers, 'x-stellaops-identity': envelope({ tid: 'other' }) },
    }),
    refusedWith('invalid_identity_envelope', /differs/),
  );
});

test('guards: requireScopes and requireTenant', async () => {
  const p = await verifier().verifyRequest(dpopInput());
  requireScopes(p, ['signer:sign']);
  assert.throws(
    () => requireScopes(p, ['signer:sign', 'attestor:write']),
    (e: unknown) =>
      refusedWith('insufficient_scope')(e) &&
      (e as AuthError).extra['scope'] === 'attestor:write signer:sign',
  );
  assert.equal(requireTenant(p), 'acme');
  assert.equal(requireTenant(p, 'acme'), 'acme');
  assert.throws(() => requireTenant(p, 'other'), refusedWith('tenant_mismatch'));
  const { tenant: _t, ...noTenant } = p;
  assert.throws(() => requireTenant(noTenant), refusedWith('tenant_required'));
});

test('property: arbitrary header values never throw anything but AuthError', async () => {
  const v = verifier();
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 50 }),
      async (a, d, u) => {
        await assert.rejects(
          v.verifyRequest({ method: 'POST', url: u, headers: { authorization: a, dpop: d } }),
          AuthError,
        );
      },
    ),
    { numRuns: 200 },
  );
});
