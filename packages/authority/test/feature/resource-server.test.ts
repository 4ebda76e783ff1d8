/**
 * A resource server built from `@stella/auth` (`createRequestVerifier`, direct mode) accepts the
 * Authority's token with a fresh proof and refuses replay, another key, Bearer downgrade, wrong
 * audience and wrong tenant. The JWKS is taken from the Authority's own `/jwks` response.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  createAccessTokenVerifier,
  createReplayCache,
  createRequestVerifier,
  createStaticJwks,
  requireTenant,
} from '@stella/auth';
import type { RequestVerifier } from '@stella/auth';
import { createMemoryKv } from '@stella/storage';
import {
  FORM,
  ISSUER,
  createHarness,
  dpopProof,
  form,
  keyClientRegistration,
  newDpopKey,
  newKeyClient,
  tokenRequestParams,
} from '../support.ts';
import type { DpopKey, Harness, TestClient } from '../support.ts';

const GATEWAY = 'https://gw.test';
const PATH = '/v1/evidence?limit=5';

describe('resource server (@stella/auth, direct mode) with an Authority-issued DPoP token', () => {
  let h: Harness;
  let client: TestClient;
  let dpop: DpopKey;
  let token: string;
  let rs: (audience: string) => RequestVerifier;

  before(async () => {
    h = await createHarness();
    await h.service.admin.addTenant('acme');
    client = await newKeyClient('rs-client');
    await h.service.admin.addClient(keyClientRegistration(client));
    dpop = await newDpopKey();
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': FORM, dpop: await dpopProof(dpop, h.clock) },
      payload: form(await tokenRequestParams(client, h.clock)),
    });
    assert.equal(res.statusCode, 200, res.body);
    token = (res.json() as { access_token: string }).access_token;
    const jwks = (await h.service.app.inject({ method: 'GET', url: '/jwks' })).json();
    const kv = createMemoryKv({ clock: h.clock });
    rs = (audience) =>
      createRequestVerifier({
        audience,
        externalUrl: GATEWAY,
        accessTokens: createAccessTokenVerifier({
          issuer: ISSUER,
          audience,
          jwks: createStaticJwks(jwks),
          clock: h.clock,
        }),
        replayCache: createReplayCache(kv, { prefix: `rs:${audience}:`, windowMs: 60_000 }),
        requireNonce: false,
        clock: h.clock,
        mode: 'direct',
      });
  });
  after(() => h.close());

  const ath = (t: string) => createHash('sha256').update(t).digest('base64url');
  const proof = (key: DpopKey, extra: Record<string, unknown> = {}) =>
    dpopProof(key, h.clock, {
      htm: 'GET',
      htu: `${GATEWAY}/v1/evidence`,
      ath: ath(token),
      ...extra,
    });
  const input = (authorization: string, dpopHeader?: string) => ({
    method: 'GET',
    url: PATH,
    headers: { authorization, ...(dpopHeader === undefined ? {} : { dpop: dpopHeader }) },
  });

  test('accepts the token with a fresh proof; refuses the same proof replayed', async () => {
    const gateway = rs('gateway');
    const fresh = await proof(dpop);
    const principal = await gateway.verifyRequest(input(`DPoP ${token}`, fresh));
    assert.equal(principal.clientId, 'rs-client');
    assert.equal(principal.tenant, 'acme');
    assert.deepEqual(principal.scopes, ['evidence:read']);
    assert.equal(requireTenant(principal, 'acme'), 'acme');
    await assert.rejects(gateway.verifyRequest(input(`DPoP ${token}`, fresh)), {
      code: 'invalid_dpop_proof',
    });
    // A second fresh proof is fine.
    await gateway.verifyRequest(input(`DPoP ${token}`, await proof(dpop)));
  });

  test('refuses a proof signed by another key', async () => {
    const other = await newDpopKey();
    await assert.rejects(rs('gateway').verifyRequest(input(`DPoP ${token}`, await proof(other))), {
      code: 'invalid_dpop_proof',
    });
  });

  test('refuses a Bearer downgrade of the DPoP-bound token (with or without a proof)', async () => {
    await assert.rejects(rs('gateway').verifyRequest(input(`Bearer ${token}`)), {
      code: 'invalid_token',
      detail: 'dpop-bound token as bearer',
    });
    await assert.rejects(rs('gateway').verifyRequest(input(`Bearer ${token}`, await proof(dpop))), {
      code: 'invalid_token',
      detail: 'dpop-bound token as bearer',
    });
  });

  test('refuses a token for another audience', async () => {
    await assert.rejects(rs('signer').verifyRequest(input(`DPoP ${token}`, await proof(dpop))), {
      code: 'invalid_token',
    });
  });

  test('refuses a request for another tenant (requireTenant)', async () => {
    const principal = await rs('gateway').verifyRequest(input(`DPoP ${token}`, await proof(dpop)));
    assert.throws(() => requireTenant(principal, 'globex'), { code: 'tenant_mismatch' });
  });
});
