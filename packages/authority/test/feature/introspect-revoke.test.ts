import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORM,
  clientAssertion,
  createHarness,
  dpopProof,
  form,
  keyClientRegistration,
  newDpopKey,
  newKeyClient,
  tokenRequestParams,
} from '../support.ts';
import type { DpopKey, Harness, TestClient } from '../support.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('introspection, revocation, revocation bundle, rate limits', () => {
  let h: Harness;
  let client: TestClient;
  let other: TestClient;
  let dpop: DpopKey;

  before(async () => {
    h = await createHarness({ config: { tokenClientLimit: { limit: 8, windowMs: 60_000 } } });
    await h.service.admin.addTenant('acme');
    client = await newKeyClient('ci-runner');
    other = await newKeyClient('other');
    await h.service.admin.addClient(keyClientRegistration(client));
    await h.service.admin.addClient(keyClientRegistration(other));
    dpop = await newDpopKey();
  });
  after(() => h.close());

  const inject = (url: string, payload: Record<string, string>) =>
    h.service.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': FORM },
      payload: form(payload),
    });

  async function issue(): Promise<string> {
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': FORM, dpop: await dpopProof(dpop, h.clock) },
      payload: form(await tokenRequestParams(client, h.clock)),
    });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { access_token: string }).access_token;
  }

  const auth = async (c: TestClient) => ({
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await clientAssertion(c, h.clock),
  });

  test('introspection: active token, then exactly {"active":false} for others', async () => {
    const token = await issue();
    const active = await inject('/introspect', { ...(await auth(client)), token });
    assert.equal(active.statusCode, 200);
    const body = active.json() as Record<string, unknown>;
    assert.equal(body['active'], true);
    assert.equal(body['token_type'], 'DPoP');
    assert.equal(body['scope'], 'evidence:read');
    assert.deepEqual(body['cnf'], { jkt: dpop.jkt });
    // Another client without authority:introspect may not see it.
    const foreign = await inject('/introspect', { ...(await auth(other)), token });
    assert.equal(foreign.body, '{"active":false}');
    const unknown = await inject('/introspect', { ...(await auth(client)), token: 'garbage' });
    assert.equal(unknown.body, '{"active":false}');
    h.clock.advance(151_000);
    const expired = await inject('/introspect', { ...(await auth(client)), token });
    assert.equal(expired.body, '{"active":false}');
    h.clock.advance(-151_000);
  });

  test('introspection requires client authentication', async () => {
    const res = await inject('/introspect', { token: 'x' });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });

  test('revocation: only the owner, 200 for unknown, revoked → inactive, bundle sequence grows', async () => {
    const token = await issue();
    const before = await h.service.app.inject({ method: 'GET', url: '/revocations' });
    assert.equal(before.headers['content-type'], 'application/jwt');
    const again = await h.service.app.inject({ method: 'GET', url: '/revocations' });
    assert.equal(again.body, before.body, 'same state → same bytes');
    const seq0 = JSON.parse(Buffer.from(before.body.split('.')[1]!, 'base64url').toString())
      .sequence as number;

    const denied = await inject('/revoke', { ...(await auth(other)), token });
    assert.equal(denied.statusCode, 400);
    assert.equal((denied.json() as { error: string }).error, 'unauthorized_client');
    const unknown = await inject('/revoke', { ...(await auth(client)), token: 'not-a-token' });
    assert.equal(unknown.statusCode, 200);
    const ok = await inject('/revoke', { ...(await auth(client)), token });
    assert.equal(ok.statusCode, 200);
    const introspected = await inject('/introspect', { ...(await auth(client)), token });
    assert.equal(introspected.body, '{"active":false}');

    const after = await h.service.app.inject({ method: 'GET', url: '/revocations' });
    const bundle = JSON.parse(Buffer.from(after.body.split('.')[1]!, 'base64url').toString());
    assert.equal(bundle.sequence, seq0 + 1);
    assert.equal(bundle.iss, 'https://authority.test');
    assert.equal(bundle.jtis.length, 1);
    assert.deepEqual(Object.keys(bundle), [
      'clients',
      'iss',
      'issuedAt',
      'jtis',
      'sequence',
      'tenants',
    ]);
    assert.ok(h.audit.events.some((e) => e.type === 'authority.token.revoked'));
  });

  test('per-client limit: 429 + Retry-After + OAuth body + audit rate_limited', async () => {
    let last;
    for (let i = 0; i < 12; i += 1) {
      last = await h.service.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': FORM, dpop: await dpopProof(dpop, h.clock) },
        payload: form(await tokenRequestParams(client, h.clock)),
      });
      if (last.statusCode === 429) break;
    }
    assert.equal(last!.statusCode, 429);
    assert.deepEqual(last!.json(), {
      error: 'rate_limited',
      error_description: 'too many requests',
    });
    assert.match(String(last!.headers['retry-after']), /^[1-9][0-9]*$/);
    const event = h.audit.events.at(-1)!;
    assert.equal(event.outcome, 'rate_limited');
    assert.equal(event.properties?.['step'], 'limitClient');
  });

  test('discovery documents are identical and list the RFC 8414 fields', async () => {
    const a = await h.service.app.inject({
      method: 'GET',
      url: '/.well-known/openid-configuration',
    });
    const b = await h.service.app.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
    });
    assert.equal(a.body, b.body);
    const doc = a.json() as Record<string, unknown>;
    assert.equal(doc['issuer'], 'https://authority.test');
    assert.equal(doc['token_endpoint'], 'https://authority.test/token');
    assert.deepEqual(doc['dpop_signing_alg_values_supported'], ['ES256', 'EdDSA']);
    assert.equal(doc['tls_client_certificate_bound_access_tokens'], true);
  });

  test('key rotation keeps the retired key in JWKS for lifetime + skew, then drops it', async () => {
    const kid = await h.service.admin.rotateKey();
    h.clock.advance(6_000); // past keyRefreshMs on this replica
    const jwks = (
      await h.service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    ).json() as { keys: { kid: string }[] };
    assert.equal(jwks.keys.length, 2);
    assert.equal(jwks.keys[0]!.kid, kid);
    h.clock.advance(151_000);
    const later = (await h.service.app.inject({ method: 'GET', url: '/jwks' })).json() as {
      keys: { kid: string }[];
    };
    assert.deepEqual(
      later.keys.map((k) => k.kid),
      [kid],
    );
    h.clock.advance(-157_000);
  });
});
