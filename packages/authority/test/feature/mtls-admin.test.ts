import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifyAuditChain } from '@stella/core';
import { FORM, decodeHeader, decodePayload, dpopProof, form, newDpopKey } from '../support.ts';
import { keyClientRegistration, newKeyClient, tokenRequestParams } from '../support.ts';
import { clientCertHeader, clientUri, createTestCa, serviceUri } from '@stella/testkit';
import type { TestCertificate as Pem } from '@stella/testkit';
import { TRUST_DOMAIN, startHttpsAuthority } from '../https-harness.ts';
import type { HttpsHarness } from '../https-harness.ts';
import { httpsClient } from '../https-client.ts';

const thumbprint = (der: Uint8Array) => createHash('sha256').update(der).digest('base64url');

describe('tls_client_auth and the /internal admin API over a real mTLS listener', () => {
  let h: HttpsHarness;
  let adminCert: Pem;
  let otherCert: Pem;
  let foreignAdminCert: Pem;
  let gatewayCert: Pem;
  let foreignGatewayCert: Pem;
  const clients: ReturnType<typeof httpsClient>[] = [];
  const connect = (identity?: Pem) => {
    const c = httpsClient(h.baseUrl, h.ca.cert, identity);
    clients.push(c);
    return c;
  };
  const tokenForm = (clientId: string, scope = 'authority:admin') =>
    form({ grant_type: 'client_credentials', client_id: clientId, audience: 'authority', scope });

  async function mtlsToken(identity: Pem, clientId: string, scope?: string) {
    return connect(identity).send('POST', '/token', {
      headers: { 'content-type': FORM },
      body: tokenForm(clientId, scope),
    });
  }

  before(async () => {
    h = await startHttpsAuthority({ adminClientLimit: { limit: 1000, windowMs: 60_000 } });
    const foreignCa = await createTestCa({ name: 'foreign CA' });
    adminCert = await h.ca.issue('admin', { uris: [clientUri('admin')] });
    otherCert = await h.ca.issue('ops', { uris: [clientUri('ops')] });
    foreignAdminCert = await foreignCa.issue('admin', { uris: [clientUri('admin')] });
    gatewayCert = await h.ca.issue('gateway', { uris: [serviceUri('gateway', TRUST_DOMAIN)] });
    foreignGatewayCert = await foreignCa.issue('gateway', {
      uris: [serviceUri('gateway', TRUST_DOMAIN)],
    });
    await h.service.admin.addTenant('acme');
    for (const [id, scopes] of [
      ['admin', ['authority:admin']],
      ['ops', ['authority:introspect']],
    ] as const) {
      await h.service.admin.addClient({
        id,
        tenants: [],
        allowedScopes: [...scopes],
        allowedAudiences: ['authority'],
        authMethod: 'tls_client_auth',
        trustRoots: [h.ca.cert],
        dpopBoundAccessTokens: false,
      });
    }
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await h.close();
  });

  test('the admin client gets an mTLS-bound Bearer token (cnf.x5t#S256, never jkt)', async () => {
    const res = await mtlsToken(adminCert, 'admin');
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body['token_type'], 'Bearer');
    assert.equal(body['scope'], 'authority:admin');
    const claims = decodePayload(body['access_token'] as string);
    assert.deepEqual(claims['cnf'], { 'x5t#S256': thumbprint(adminCert.der) });
    assert.equal(claims['aud'], 'authority');
    assert.equal(claims['tid'], undefined);
  });

  test('the admin token works over the same certificate on every /internal route', async () => {
    const token = (await mtlsToken(adminCert, 'admin')).json()['access_token'] as string;
    const admin = connect(adminCert);
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };

    const added = await admin.send('POST', '/internal/tenants', {
      headers: json,
      body: JSON.stringify({ tenant: 'globex' }),
    });
    assert.equal(added.status, 201, added.text);
    const tenants = await admin.send('GET', '/internal/tenants', { headers: auth });
    assert.equal(tenants.status, 200);
    assert.deepEqual(
      (tenants.json()['tenants'] as { id: string }[]).map((t) => t.id),
      ['acme', 'globex'],
    );

    const ci = await newKeyClient('ci');
    const created = await admin.send('POST', '/internal/clients', {
      headers: json,
      body: JSON.stringify({
        id: 'ci',
        tenants: ['globex'],
        scopes: ['evidence:read'],
        audiences: ['gateway'],
        jwks: { keys: [ci.jwk] },
      }),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(
      (created.json()['client'] as Record<string, unknown>)['authMethod'],
      'private_key_jwt',
    );
    const list = await admin.send('GET', '/internal/clients', { headers: auth });
    assert.deepEqual(
      (list.json()['clients'] as { id: string }[]).map((c) => c.id),
      ['admin', 'ci', 'ops'],
    );
    assert.ok(!list.text.includes('secretHash'));

    const before = (await admin.send('GET', '/jwks')).json()['keys'] as { kid: string }[];
    const rotated = await admin.send('POST', '/internal/keys/rotate', { headers: auth });
    assert.equal(rotated.status, 200, rotated.text);
    const kid = rotated.json()['kid'] as string;
    const jwks = (await admin.send('GET', '/jwks')).json()['keys'] as { kid: string }[];
    assert.deepEqual(jwks.map((k) => k.kid).sort(), [...before.map((k) => k.kid), kid].sort());
    // The token signed before rotation keeps working (retired key stays in JWKS).
    const keys = await admin.send('GET', '/internal/keys', { headers: auth });
    assert.equal(keys.status, 200);

    const disabled = await admin.send('POST', '/internal/tenants/globex/disable', {
      headers: auth,
    });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal((disabled.json()['tenant'] as Record<string, unknown>)['status'], 'disabled');
    const again = await admin.send('POST', '/internal/tenants/globex/disable', { headers: auth });
    assert.equal(again.status, 404);
    const types = h.audit.events.map((e) => e.type);
    for (const t of [
      'authority.tenant.added',
      'authority.client.added',
      'authority.key.rotated',
      'authority.tenant.disabled',
    ]) {
      assert.ok(types.includes(t), t);
    }
  });

  test('GET /internal/audit pages the chain and attests its head with a JWKS key', async () => {
    const token = (await mtlsToken(adminCert, 'admin')).json()['access_token'] as string;
    const admin = connect(adminCert);
    const auth = { authorization: `Bearer ${token}` };
    await h.service.admin.addTenant('initech'); // at least a few _platform events exist
    const first = await admin.send('GET', '/internal/audit?tenant=_platform&afterSeq=0&limit=2', {
      headers: auth,
    });
    assert.equal(first.status, 200, first.text);
    const page = first.json() as {
      tenant: string;
      records: { seq: number; hash: string; prevHash: string; event: Record<string, unknown> }[];
      nextAfterSeq: number | null;
      head: { seq: number; hash: string };
      attestation: string;
    };
    assert.deepEqual(Object.keys(page).sort(), [
      'attestation',
      'head',
      'nextAfterSeq',
      'records',
      'tenant',
    ]);
    assert.equal(page.tenant, '_platform');
    assert.deepEqual(
      page.records.map((r) => r.seq),
      [1, 2],
    );
    assert.equal(page.nextAfterSeq, 2);
    assert.ok(page.head.seq >= 3);
    // Page through the rest and verify the whole chain offline.
    const all = [...page.records];
    for (let after: number | null = page.nextAfterSeq; after !== null;) {
      const next = (
        await admin.send('GET', `/internal/audit?tenant=_platform&afterSeq=${after}&limit=1000`, {
          headers: auth,
        })
      ).json() as typeof page;
      all.push(...next.records);
      after = next.nextAfterSeq;
    }
    assert.ok(all.length >= page.head.seq);
    const upToHead = all.filter((r) => r.seq <= page.head.seq);
    assert.equal(verifyAuditChain(upToHead as never).ok, true);
    assert.equal(upToHead.at(-1)!.hash, page.head.hash);
    const header = decodeHeader(page.attestation);
    assert.equal(header['typ'], 'stella-audit-head+jwt');
    const jwks = (await admin.send('GET', '/jwks')).json()['keys'] as { kid: string }[];
    assert.ok(jwks.some((k) => k.kid === header['kid']));
    assert.deepEqual(decodePayload(page.attestation), {
      count: page.head.seq,
      headHash: page.head.hash,
      headSeq: page.head.seq,
      tenant: '_platform',
    });
    // No token material in the audit chain.
    assert.ok(!JSON.stringify(all).includes(token.split('.')[2]!));

    const empty = await admin.send('GET', '/internal/audit?tenant=nobody', { headers: auth });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json()['head'], { seq: 0, hash: '0'.repeat(64) });
    assert.equal(empty.json()['nextAfterSeq'], null);
    for (const bad of [
      '/internal/audit',
      '/internal/audit?tenant=ACME',
      '/internal/audit?tenant=acme&limit=1001',
      '/internal/audit?tenant=acme&limit=0',
      '/internal/audit?tenant=acme&afterSeq=-1',
      '/internal/audit?tenant=acme&afterSeq=01',
      '/internal/audit?tenant=acme&tenant=globex',
      '/internal/audit?tenant=acme&extra=1',
    ]) {
      const res = await admin.send('GET', bad, { headers: auth });
      assert.equal(res.status, 400, bad);
      assert.equal(res.json()['error'], 'invalid_request', bad);
    }
    const noCert = await connect().send('GET', '/internal/audit?tenant=_platform', {
      headers: auth,
    });
    assert.equal(noCert.status, 403);
  });

  test('refused: another certificate, no certificate, DPoP token, missing authority:admin', async () => {
    const token = (await mtlsToken(adminCert, 'admin')).json()['access_token'] as string;
    const auth = { authorization: `Bearer ${token}` };

    const other = await connect(otherCert).send('GET', '/internal/tenants', { headers: auth });
    assert.equal(other.status, 401);
    assert.deepEqual(other.json(), {
      error: 'invalid_token',
      error_description: 'the access token is invalid',
    });
    assert.match(String(other.headers['www-authenticate']), /error="invalid_token"/);

    const none = await connect().send('GET', '/internal/tenants', { headers: auth });
    assert.equal(none.status, 403);
    assert.equal(none.json()['error'], 'access_denied');

    const noToken = await connect(adminCert).send('GET', '/internal/tenants');
    assert.equal(noToken.status, 401);

    // A DPoP-bound token with authority:admin (private_key_jwt client) is not certificate-bound.
    const keyAdmin = await newKeyClient('key-admin');
    await h.service.admin.addClient(
      keyClientRegistration(keyAdmin, {
        tenants: [],
        allowedScopes: ['authority:admin'],
        allowedAudiences: ['authority'],
      }),
    );
    const dpop = await newDpopKey();
    const issued = await h.service.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': FORM, dpop: await dpopProof(dpop, h.clock) },
      payload: form(
        await tokenRequestParams(keyAdmin, h.clock, {
          audience: 'authority',
          scope: 'authority:admin',
        }),
      ),
    });
    assert.equal(issued.statusCode, 200, issued.body);
    const dpopToken = (issued.json() as Record<string, string>)['access_token']!;
    for (const scheme of ['Bearer', 'DPoP']) {
      const res = await connect(adminCert).send('GET', '/internal/tenants', {
        headers: { authorization: `${scheme} ${dpopToken}` },
      });
      assert.equal(res.status, 401, scheme);
      assert.equal(res.json()['error'], 'invalid_token');
    }

    const opsToken = (await mtlsToken(otherCert, 'ops', 'authority:introspect')).json();
    assert.equal(opsToken['token_type'], 'Bearer');
    const scoped = await connect(otherCert).send('GET', '/internal/tenants', {
      headers: { authorization: `Bearer ${opsToken['access_token'] as string}` },
    });
    assert.equal(scoped.status, 403);
    assert.equal(scoped.json()['error'], 'insufficient_scope');
    assert.match(String(scoped.headers['www-authenticate']), /scope="authority:admin"/);
  });

  test('a certificate from a foreign CA is refused at /token and at /internal', async () => {
    const res = await mtlsToken(foreignAdminCert, 'admin');
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    const token = (await mtlsToken(adminCert, 'admin')).json()['access_token'] as string;
    const api = await connect(foreignAdminCert).send('GET', '/internal/tenants', {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(api.status, 401);
  });

  test('RFC 9440 Client-Cert is honoured only from the gateway identity', async () => {
    const withHeader = (identity: Pem) =>
      connect(identity).send('POST', '/token', {
        headers: { 'content-type': FORM, 'client-cert': clientCertHeader(adminCert.der) },
        body: tokenForm('admin'),
      });
    const viaGateway = await withHeader(gatewayCert);
    assert.equal(viaGateway.status, 200, viaGateway.text);
    const claims = decodePayload(viaGateway.json()['access_token'] as string);
    assert.deepEqual(claims['cnf'], { 'x5t#S256': thumbprint(adminCert.der) });

    // Any other peer: the header is ignored and the peer's own certificate is used.
    for (const peer of [otherCert, foreignGatewayCert]) {
      const res = await withHeader(peer);
      assert.equal(res.status, 401);
      assert.equal(res.json()['error'], 'invalid_client');
    }
    const noPeer = await connect().send('POST', '/token', {
      headers: { 'content-type': FORM, 'client-cert': clientCertHeader(adminCert.der) },
      body: tokenForm('admin'),
    });
    assert.equal(noPeer.status, 401);
    // The gateway cannot use /internal on a client's behalf with a forwarded certificate.
    const token = viaGateway.json()['access_token'] as string;
    const forwarded = await connect(gatewayCert).send('GET', '/internal/tenants', {
      headers: {
        authorization: `Bearer ${token}`,
        'client-cert': clientCertHeader(adminCert.der),
      },
    });
    assert.equal(forwarded.status, 401);
    // A malformed Client-Cert from the gateway is a client authentication failure.
    const malformed = await connect(gatewayCert).send('POST', '/token', {
      headers: { 'content-type': FORM, 'client-cert': ':not base64!:' },
      body: tokenForm('admin'),
    });
    assert.equal(malformed.status, 401);
  });
});
