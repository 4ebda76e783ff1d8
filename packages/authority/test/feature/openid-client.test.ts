/**
 * The INDEPENDENT client: panva's `openid-client` 6 (an implementation we did not write) against
 * a real listening HTTPS Authority, trusting the test CA through `customFetch` + an undici Agent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { startHttpsAuthorityWithIssuerPort } from '../https-harness.ts';
import type { HttpsHarness } from '../https-harness.ts';
import { decodePayload } from '../support.ts';

const ES256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

describe('openid-client 6: discovery, private_key_jwt + DPoP (nonce retry), introspection, revocation', () => {
  let h: HttpsHarness;
  let agent: Agent;
  let config: client.Configuration;
  let dpopKeys: webcrypto.CryptoKeyPair;

  before(async () => {
    h = await startHttpsAuthorityWithIssuerPort();
    agent = new Agent({ connect: { ca: h.ca.cert } });
    const clientKeys = (await webcrypto.subtle.generateKey(ES256, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const jwk = await webcrypto.subtle.exportKey('jwk', clientKeys.publicKey);
    await h.service.admin.addTenant('acme');
    await h.service.admin.addClient({
      id: 'oidc-rp',
      tenants: ['acme'],
      allowedScopes: ['signer:sign'],
      allowedAudiences: ['signer'],
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: 'rp-1' }] },
    });
    config = await client.discovery(
      new URL(h.baseUrl),
      'oidc-rp',
      { token_endpoint_auth_method: 'private_key_jwt' },
      client.PrivateKeyJwt({ key: clientKeys.privateKey, kid: 'rp-1' }),
      {
        [client.customFetch]: (url, options) =>
          undiciFetch(url, { ...options, dispatcher: agent } as never) as never,
      },
    );
    config[client.customFetch] = (url, options) =>
      undiciFetch(url, { ...options, dispatcher: agent } as never) as never;
    dpopKeys = (await webcrypto.subtle.generateKey(ES256, false, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
  });
  after(async () => {
    await agent.close();
    await h.close();
  });

  test('discovery yields our endpoints', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, h.baseUrl);
    assert.equal(metadata.token_endpoint, `${h.baseUrl}/token`);
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256', 'EdDSA']);
  });

  test('client_credentials with DPoP retries use_dpop_nonce, then introspects and revokes', async () => {
    const dpop = client.getDPoPHandle(config, dpopKeys);
    const tokens = await client.clientCredentialsGrant(
      config,
      { audience: 'signer', scope: 'signer:sign' },
      { DPoP: dpop },
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(tokens.expires_in, 120);
    const claims = decodePayload(tokens.access_token);
    assert.equal(claims['aud'], 'signer');
    assert.equal(claims['tid'], 'acme');
    assert.equal(typeof (claims['cnf'] as Record<string, unknown>)['jkt'], 'string');
    // The automatic retry really happened: one use_dpop_nonce refusal, then the issuance.
    const token = h.audit.events.filter((e) => e.type.startsWith('authority.token.'));
    assert.deepEqual(
      token.map((e) => [e.type, e.reason ?? null]),
      [
        ['authority.token.refused', 'use_dpop_nonce'],
        ['authority.token.issued', null],
      ],
    );

    const active = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, 'oidc-rp');
    assert.equal(active.token_type, 'DPoP');

    await client.tokenRevocation(config, tokens.access_token);
    const revoked = await client.tokenIntrospection(config, tokens.access_token);
    assert.deepEqual({ ...revoked }, { active: false });
  });
});
