import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORM,
  ISSUER,
  createHarness,
  decodeHeader,
  decodePayload,
  dpopProof,
  form,
  keyClientRegistration,
  newDpopKey,
  newKeyClient,
  tokenRequestParams,
} from '../support.ts';
import type { Harness, TestClient, DpopKey } from '../support.ts';

describe('POST /token client_credentials + private_key_jwt + DPoP', () => {
  let h: Harness;
  let client: TestClient;
  let dpop: DpopKey;

  before(async () => {
    h = await createHarness();
    await h.service.admin.addTenant('acme');
    await h.service.admin.addTenant('other');
    client = await newKeyClient('ci-runner');
    await h.service.admin.addClient(keyClientRegistration(client));
    dpop = await newDpopKey();
  });
  after(() => h.close());

  async function post(params: Record<string, string>, headers: Record<string, string> = {}) {
    return h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': FORM, ...headers },
      payload: form(params),
    });
  }

  test('issues a DPoP-bound RFC 9068 token with exactly the PLATFORM.md §2 claims', async () => {
    const res = await post(await tokenRequestParams(client, h.clock), {
      dpop: await dpopProof(dpop, h.clock),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['pragma'], 'no-cache');
    assert.ok(typeof res.headers['x-correlation-id'] === 'string');
    const body = res.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ]);
    assert.equal(body['token_type'], 'DPoP');
    assert.equal(body['expires_in'], 120);
    assert.equal(body['scope'], 'evidence:read');
    const token = body['access_token'] as string;
    const header = decodeHeader(token);
    assert.equal(header['typ'], 'at+jwt');
    assert.equal(header['alg'], 'ES256');
    const claims = decodePayload(token);
    assert.deepEqual(Object.keys(claims).sort(), [
      'aud',
      'client_id',
      'cnf',
      'exp',
      'iat',
      'inst',
      'iss',
      'jti',
      'nbf',
      'scope',
      'sub',
      'tid',
    ]);
    const iat = Math.floor(h.clock.now() / 1000);
    assert.deepEqual(
      { ...claims, jti: undefined },
      {
        iss: ISSUER,
        sub: 'ci-runner',
        client_id: 'ci-runner',
        aud: 'gateway',
        iat,
        nbf: iat,
        exp: iat + 120,
        jti: undefined,
        scope: 'evidence:read',
        tid: 'acme',
        inst: 'stella-local',
        cnf: { jkt: dpop.jkt },
      },
    );
    assert.match(claims['jti'] as string, /^[A-Za-z0-9_-]{22,}$/);
    const jwks = (await h.service.app.inject({ method: 'GET', url: '/jwks' })).json() as {
      keys: { kid: string }[];
    };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [header['kid']],
    );
    const issued = h.audit.events.filter((e) => e.type === 'authority.token.issued');
    assert.equal(issued.length, 1);
    assert.equal(issued[0]!.tenant, 'acme');
    assert.equal(issued[0]!.properties?.['jti'], claims['jti']);
    assert.ok(!JSON.stringify(h.audit.events).includes(token.split('.')[2]!));
  });

  test('a client that must use DPoP and sends no proof is refused', async () => {
    const res = await post(await tokenRequestParams(client, h.clock));
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), {
      error: 'invalid_dpop_proof',
      error_description: 'a DPoP proof is required for this client',
    });
    const refused = h.audit.events.at(-1)!;
    assert.equal(refused.type, 'authority.token.refused');
    assert.equal(refused.reason, 'invalid_dpop_proof');
    assert.equal(refused.properties?.['step'], 'checkDpop');
  });

  test('signer audience needs a nonce: 400 use_dpop_nonce + DPoP-Nonce, then succeeds', async () => {
    const first = await post(
      await tokenRequestParams(client, h.clock, { audience: 'signer', scope: 'signer:sign' }),
      { dpop: await dpopProof(dpop, h.clock) },
    );
    assert.equal(first.statusCode, 400);
    assert.deepEqual(first.json(), {
      error: 'use_dpop_nonce',
      error_description: 'a DPoP nonce is required',
    });
    const nonce = first.headers['dpop-nonce'];
    assert.equal(typeof nonce, 'string');
    const second = await post(
      await tokenRequestParams(client, h.clock, { audience: 'signer', scope: 'signer:sign' }),
      { dpop: await dpopProof(dpop, h.clock, { nonce }) },
    );
    assert.equal(second.statusCode, 200);
    assert.equal(typeof second.headers['dpop-nonce'], 'string');
    assert.equal(
      decodePayload((second.json() as { access_token: string }).access_token)['aud'],
      'signer',
    );
    // A wrong nonce is refused the same way.
    const wrong = await post(
      await tokenRequestParams(client, h.clock, { audience: 'signer', scope: 'signer:sign' }),
      { dpop: await dpopProof(dpop, h.clock, { nonce: 'A'.repeat(43) }) },
    );
    assert.equal(wrong.statusCode, 400);
    assert.equal((wrong.json() as { error: string }).error, 'use_dpop_nonce');
  });

  test('a stale nonce (two windows later) is refused', async () => {
    const first = await post(
      await tokenRequestParams(client, h.clock, { audience: 'signer', scope: 'signer:sign' }),
      { dpop: await dpopProof(dpop, h.clock) },
    );
    const nonce = first.headers['dpop-nonce'] as string;
    h.clock.advance(121_000);
    try {
      const res = await post(
        await tokenRequestParams(client, h.clock, { audience: 'signer', scope: 'signer:sign' }),
        { dpop: await dpopProof(dpop, h.clock, { nonce }) },
      );
      assert.equal(res.statusCode, 400);
      assert.equal((res.json() as { error: string }).error, 'use_dpop_nonce');
      assert.notEqual(res.headers['dpop-nonce'], nonce);
    } finally {
      h.clock.advance(-121_000);
    }
  });

  test('a replayed client assertion is invalid_client', async () => {
    const params = await tokenRequestParams(client, h.clock);
    const ok = await post(params, { dpop: await dpopProof(dpop, h.clock) });
    assert.equal(ok.statusCode, 200);
    const replay = await post(params, { dpop: await dpopProof(dpop, h.clock) });
    assert.equal(replay.statusCode, 401);
    assert.deepEqual(replay.json(), {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });

  test('unknown client and bad signature give the identical 401', async () => {
    const stranger = await newKeyClient('stranger');
    const unknown = await post(await tokenRequestParams(stranger, h.clock), {
      dpop: await dpopProof(dpop, h.clock),
    });
    const impostor = await newKeyClient('ci-runner');
    const badSig = await post(await tokenRequestParams(impostor, h.clock), {
      dpop: await dpopProof(dpop, h.clock),
    });
    assert.equal(unknown.statusCode, 401);
    assert.equal(badSig.statusCode, 401);
    assert.equal(unknown.body, badSig.body);
  });
});
