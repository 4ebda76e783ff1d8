import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGatewayConfig } from '../src/gateway-config.ts';

const valid = {
  externalUrl: 'https://gw.example',
  issuer: 'https://authority.example',
  jwksUrl: 'https://authority.internal:8443/jwks',
  revocationsUrl: 'https://authority.internal:8443/revocations',
  identity: { keyRef: 'file:/k', certRef: 'file:/c', caRef: 'file:/ca' },
  envelope: { keyRef: 'file:/e', kid: 'gw-1' },
  nonceSecretRef: 'env:NONCE',
  upstreams: { signer: { url: 'https://signer.internal:8443' } },
};

describe('parseGatewayConfig', () => {
  test('accepts a valid config and deep-freezes it', () => {
    const c = parseGatewayConfig({
      ...valid,
      limits: { perAddress: { limit: 5, windowMs: 1000 }, rateLimitFailModePublic: 'open' },
    });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.upstreams) && Object.isFrozen(c.identity));
  });
  for (const [name, mutation] of [
    ['unknown-top-key', { extra: 1 }],
    ['missing-identity', { identity: undefined }],
    ['identity-unknown-key', { identity: { ...valid.identity, pem: 'inline' } }],
    ['bad-url', { externalUrl: 'ftp://x' }],
    ['upstream-unknown-key', { upstreams: { signer: { url: 'https://s', key: 'x' } } }],
    ['tls-policy-not-tunable', { limits: { tlsMinVersion: 'TLSv1' } }],
    ['unknown-limit', { limits: { turbo: 1 } }],
    ['bad-fail-mode', { limits: { rateLimitFailModeAuthenticated: 'maybe' } }],
    ['bad-window', { limits: { perClient: { limit: 'x', windowMs: 1 } } }],
    ['bad-metrics-port', { metricsPort: 70000 }],
    ['trusted-proxy-not-an-ip', { trustedProxies: ['nginx.internal'] }],
    ['trusted-proxies-not-a-list', { trustedProxies: '10.0.0.1' }],
  ] as const) {
    test(`refuses ${name}`, () => {
      const input: Record<string, unknown> = { ...valid, ...mutation };
      for (const [k, v] of Object.entries(input)) if (v === undefined) delete input[k];
      assert.throws(() => parseGatewayConfig(input), TypeError);
    });
  }
});
