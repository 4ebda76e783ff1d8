/**
 * Discovery (RFC 8414 §2/§3; the same document at the OpenID Connect Discovery path) and the JWK
 * Set (RFC 7517 §5) with its `/.well-known/jwks.json` alias (PLATFORM.md §2).
 */
import type { FastifyInstance } from 'fastify';
import type { AuthorityConfig } from '../defaults.ts';
import { scopeCatalogue } from '../scopes.ts';
import type { SigningKeyStore } from '../signing-keys.ts';

const AUTH_METHODS = ['private_key_jwt', 'tls_client_auth', 'client_secret_basic'];
const ALGS = ['ES256', 'EdDSA'];

export function discoveryDocument(config: AuthorityConfig) {
  const { issuer } = config;
  return {
    issuer,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    introspection_endpoint: `${issuer}/introspect`,
    revocation_endpoint: `${issuer}/revoke`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: ['token'],
    scopes_supported: [...scopeCatalogue],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ALGS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ALGS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: ALGS,
    // RFC 9449 §5.1 and RFC 8705 §3.3.
    dpop_signing_alg_values_supported: ALGS,
    tls_client_certificate_bound_access_tokens: true,
  };
}

export function registerDiscoveryRoutes(
  app: FastifyInstance,
  config: AuthorityConfig,
  keys: SigningKeyStore,
): void {
  const document = discoveryDocument(config);
  for (const url of [
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    app.get(url, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(document),
    );
  }
  for (const url of ['/jwks', '/.well-known/jwks.json']) {
    app.get(url, async (_request, reply) =>
      reply
        .type('application/jwk-set+json')
        .header('cache-control', 'public, max-age=60')
        .send(await keys.publicJwks()),
    );
  }
}
