import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createHmac } from 'node:crypto';
import {
  FORM,
  TOKEN_URL,
  createHarness,
  dpopProof,
  form,
  keyClientRegistration,
  newDpopKey,
  newKeyClient,
  tokenRequestParams,
} from '../support.ts';
import type { DpopKey, Harness, TestClient } from '../support.ts';

describe('POST /token refusals (exact wire bodies)', () => {
  let h: Harness;
  let client: TestClient;
  let multi: TestClient;
  let dpop: DpopKey;

  before(async () => {
    h = await createHarness();
    await h.service.admin.addTenant('acme');
    await h.service.admin.addTenant('beta');
    client = await newKeyClient('ci-runner');
    await h.service.admin.addClient(keyClientRegistration(client));
    multi = await newKeyClient('multi');
    await h.service.admin.addClient(keyClientRegistration(multi, { tenants: ['acme', 'beta'] }));
    dpop = await newDpopKey();
  });
  after(() => h.close());

  async function post(payload: string, headers: Record<string, string | string[]> = {}) {
    return h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': FORM, ...headers },
      payload,
    });
  }

  async function expectError(
    res: Awaited<ReturnType<typeof post>>,
    status: number,
    error: string,
    description?: string,
  ) {
    assert.equal(res.statusCode, status, res.body);
    const body = res.json() as { error: string; error_description: string };
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.equal(body.error, error);
    if (description !== undefined) assert.equal(body.error_description, description);
  }

  const withProof = async (
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ) => ({
    dpop: await dpopProof(dpop, h.clock, claims, header),
  });

  test('unsupported grant type', async () => {
    const params = await tokenRequestParams(client, h.clock, { grant_type: 'password' });
    await expectError(await post(form(params), await withProof()), 400, 'unsupported_grant_type');
  });

  test('missing grant_type', async () => {
    await expectError(
      await post(form({ scope: 'x' })),
      400,
      'invalid_request',
      'parameter grant_type is required',
    );
  });

  test('repeated parameter is refused before any crypto', async () => {
    const params = await tokenRequestParams(client, h.clock);
    await expectError(
      await post(`${form(params)}&scope=evidence%3Aread`, await withProof()),
      400,
      'invalid_request',
      'parameter scope is repeated',
    );
  });

  test('non-form content type, oversized body, non-UTF-8 body', async () => {
    const json = await h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'text/plain' },
      payload: 'grant_type=client_credentials',
    });
    await expectError(json, 415, 'invalid_request');
    await expectError(await post(`grant_type=${'a'.repeat(20_000)}`), 413, 'invalid_request');
    const bytes = Buffer.concat([
      Buffer.from('grant_type=client_credentials&scope='),
      Buffer.from([0xff, 0xfe]),
    ]);
    await expectError(await post(bytes as unknown as string), 400, 'invalid_request');
    await expectError(await post('grant_type=%E0%A4%A'), 400, 'invalid_request');
  });

  test('unknown scope, disallowed scope, attestor:write without signer identity', async () => {
    for (const scope of ['nope:read', 'audit:read', 'attestor:write']) {
      const params = await tokenRequestParams(client, h.clock, { scope });
      await expectError(await post(form(params), await withProof()), 400, 'invalid_scope');
    }
  });

  test('audience not allowed, and audience + resource together', async () => {
    const params = await tokenRequestParams(client, h.clock, { audience: 'authority' });
    await expectError(await post(form(params), await withProof()), 400, 'invalid_target');
    const star = await tokenRequestParams(client, h.clock, { audience: '*' });
    await expectError(await post(form(star), await withProof()), 400, 'invalid_target');
    const both = await tokenRequestParams(client, h.clock, { resource: 'gateway' });
    await expectError(await post(form(both), await withProof()), 400, 'invalid_request');
  });

  test('ambiguous tenant and foreign tenant', async () => {
    const params = {
      ...(await tokenRequestParams(multi, h.clock)),
    };
    await expectError(
      await post(form(params), await withProof()),
      400,
      'invalid_request',
      'ambiguous tenant: the tenant parameter is required',
    );
    const foreign = await tokenRequestParams(client, h.clock, { tenant: 'beta' });
    await expectError(await post(form(foreign), await withProof()), 400, 'invalid_request');
    const chosen = await tokenRequestParams(multi, h.clock, { tenant: 'beta' });
    assert.equal((await post(form(chosen), await withProof())).statusCode, 200);
  });

  test('assertion with wrong aud, exp too far ahead, or no exp is invalid_client', async () => {
    const now = Math.floor(h.clock.now() / 1000);
    const { clientAssertion } = await import('../support.ts');
    for (const assertion of [
      await clientAssertion(client, h.clock, { aud: TOKEN_URL }),
      await clientAssertion(client, h.clock, { exp: now + 301 }),
      await new SignJWT({ jti: 'no-exp' })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience('https://authority.test')
        .sign(client.privateKey),
      await new SignJWT({ jti: 'hs', exp: now + 60 })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience('https://authority.test')
        .sign(new Uint8Array(32)),
    ]) {
      const params = await tokenRequestParams(client, h.clock, { client_assertion: assertion });
      await expectError(await post(form(params), await withProof()), 401, 'invalid_client');
    }
  });

  describe('DPoP proof negatives (RFC 9449 §4.3)', () => {
    const cases: [string, () => Promise<Record<string, string | string[]>>][] = [
      ['typ-jwt', () => withProof({}, { typ: 'jwt' })],
      ['htm-get', () => withProof({ htm: 'GET' })],
      ['htu-other-path', () => withProof({ htu: 'https://authority.test/introspect' })],
      ['htu-other-host', () => withProof({ htu: 'https://evil.test/token' })],
      ['iat-plus-31', () => withProof({ iat: Math.floor(h.clock.now() / 1000) + 31 })],
      ['iat-minus-31', () => withProof({ iat: Math.floor(h.clock.now() / 1000) - 31 })],
      ['missing-jti', () => withProof({ jti: undefined })],
      ['missing-htm', () => withProof({ htm: undefined })],
      ['missing-htu', () => withProof({ htu: undefined })],
      ['missing-iat', () => withProof({ iat: undefined })],
      ['jwk-has-d', () => withProof({}, { jwk: { ...dpop.jwk, d: 'AAAA' } })],
      [
        'two-dpop-headers',
        async () => ({ dpop: [(await withProof()).dpop, (await withProof()).dpop] }),
      ],
      ['not-a-jwt', async () => ({ dpop: 'not.a.jwt' })],
      [
        'alg-none',
        async () => {
          const head = Buffer.from(
            JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: dpop.jwk }),
          ).toString('base64url');
          const body = Buffer.from(
            JSON.stringify({
              jti: 'x',
              htm: 'POST',
              htu: TOKEN_URL,
              iat: Math.floor(h.clock.now() / 1000),
            }),
          ).toString('base64url');
          return { dpop: `${head}.${body}.` };
        },
      ],
      [
        'alg-hs256',
        async () => {
          const head = Buffer.from(
            JSON.stringify({ alg: 'HS256', typ: 'dpop+jwt', jwk: dpop.jwk }),
          ).toString('base64url');
          const body = Buffer.from(
            JSON.stringify({
              jti: 'y',
              htm: 'POST',
              htu: TOKEN_URL,
              iat: Math.floor(h.clock.now() / 1000),
            }),
          ).toString('base64url');
          const sig = createHmac('sha256', 'k').update(`${head}.${body}`).digest('base64url');
          return { dpop: `${head}.${body}.${sig}` };
        },
      ],
      [
        'signed-by-other-key',
        async () => {
          const other = await newDpopKey();
          const proof = await dpopProof(other, h.clock);
          const [, payload, sig] = proof.split('.');
          const head = Buffer.from(
            JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpop.jwk }),
          ).toString('base64url');
          return { dpop: `${head}.${payload}.${sig}` };
        },
      ],
    ];
    for (const [name, headers] of cases) {
      test(name, async () => {
        const params = await tokenRequestParams(client, h.clock);
        await expectError(await post(form(params), await headers()), 400, 'invalid_dpop_proof');
      });
    }

    test('htu normalization: case, default port, query and fragment are accepted', async () => {
      for (const htu of [
        'HTTPS://Authority.TEST:443/token',
        'https://authority.test/token?x=1#f',
      ]) {
        const params = await tokenRequestParams(client, h.clock);
        const res = await post(form(params), await withProof({ htu }));
        assert.equal(res.statusCode, 200, `${htu}: ${res.body}`);
      }
    });

    test('replayed proof', async () => {
      const proof = await withProof();
      assert.equal(
        (await post(form(await tokenRequestParams(client, h.clock)), proof)).statusCode,
        200,
      );
      await expectError(
        await post(form(await tokenRequestParams(client, h.clock)), proof),
        400,
        'invalid_dpop_proof',
      );
      const refused = h.audit.events.at(-1)!;
      assert.equal(refused.properties?.['step'], 'checkDpop');
      assert.ok(!JSON.stringify(refused).includes(proof.dpop.split('.')[2]!));
    });
  });
});
