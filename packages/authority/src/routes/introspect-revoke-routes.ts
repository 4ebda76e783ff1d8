/**
 * `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009). Both authenticate the calling
 * client exactly like `/token`. Introspection answers exactly `{"active":false}` for anything
 * that is not a currently valid, unrevoked token the caller may see (RFC 7662 §2.2); revocation
 * answers 200 even for unknown tokens (RFC 7009 §2.2) and is open only to the owning client or
 * a client allowed `authority:admin`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink } from '@stella/core';
import type { AuthorityConfig } from '../defaults.ts';
import { authorityError } from '../errors.ts';
import { requiredParam } from '../form-body.ts';
import type {
  ClientAuthenticator,
  AuthenticatedClient,
} from '../client-auth/authenticate-client.ts';
import { correlationIdOf, singleHeader } from '../http-support.ts';
import { clientAddressOf, requestClientCertificate } from '../request-origin.ts';
import type { RateLimiter } from '../rate-limit.ts';
import { rateLimitedError } from '../rate-limit.ts';
import type { RevocationStore } from '../revocation-store.ts';
import type { LocalTokenVerifier } from '../token/local-token-verifier.ts';
import { formParamsOf } from './token-route.ts';
import type { RateLimit } from '../defaults.ts';

export interface IntrospectRevokeDeps {
  readonly config: AuthorityConfig;
  readonly authenticateClient: ClientAuthenticator;
  readonly verifier: LocalTokenVerifier;
  readonly revocations: RevocationStore;
  readonly rateLimit: RateLimiter;
  readonly audit: AuditSink;
}

export function registerIntrospectRevokeRoutes(app: FastifyInstance, deps: IntrospectRevokeDeps) {
  const { config } = deps;

  async function caller(request: FastifyRequest, bucket: string, limit: RateLimit) {
    const params = formParamsOf(request);
    const authenticated = await deps.authenticateClient({
      params,
      authorization: singleHeader(request, 'authorization'),
      clientCertificate: requestClientCertificate(request, config),
    });
    const decision = await deps.rateLimit(bucket, authenticated.client.id, limit);
    if (!decision.allowed) {
      await deps.audit.append({
        type: `authority.${bucket}.rate_limited`,
        correlationId: correlationIdOf(request),
        outcome: 'rate_limited',
        reason: 'rate_limited',
        tenant: '_platform',
        actor: { clientId: authenticated.client.id },
        network: { address: clientAddressOf(request, config) },
      });
      throw rateLimitedError(bucket, decision.retryAfterSeconds);
    }
    return { params, authenticated };
  }

  const mayManage = (c: AuthenticatedClient, owner: string) =>
    c.client.id === owner || c.client.allowedScopes.includes('authority:admin');

  app.post('/introspect', async (request, reply) => {
    const { params, authenticated } = await caller(
      request,
      'introspect',
      config.introspectClientLimit,
    );
    const token = requiredParam(params, 'token');
    reply.header('cache-control', 'no-store');
    const claims = await deps.verifier.verify(token);
    const visible =
      claims !== undefined &&
      (mayManage(authenticated, claims.client_id) ||
        authenticated.client.allowedScopes.includes('authority:introspect'));
    if (!visible || (await deps.revocations.isRevoked(claims))) {
      return reply.send({ active: false });
    }
    const { cnf, scope, ...rest } = claims;
    return reply.send({
      active: true,
      ...rest,
      scope: scope.join(' '),
      ...(cnf === undefined ? {} : { cnf }),
      token_type: cnf?.jkt !== undefined ? 'DPoP' : 'Bearer',
    });
  });

  app.post('/revoke', async (request, reply) => {
    const { params, authenticated } = await caller(request, 'revoke', config.revokeClientLimit);
    const token = requiredParam(params, 'token');
    const claims = await deps.verifier.verify(token);
    reply.header('cache-control', 'no-store');
    if (claims === undefined) return reply.send(); // RFC 7009 §2.2: invalid tokens are no error
    if (!mayManage(authenticated, claims.client_id)) {
      throw authorityError('unauthorized_client', {
        description: 'only the owning client may revoke this token',
      });
    }
    const changed = await deps.revocations.revokeToken(claims);
    await deps.audit.append({
      type: 'authority.token.revoked',
      correlationId: correlationIdOf(request),
      outcome: 'success',
      tenant: claims.tid ?? '_platform',
      actor: { clientId: authenticated.client.id, subject: authenticated.client.id },
      network: { address: clientAddressOf(request, config) },
      properties: { jti: claims.jti, owner: claims.client_id, changed },
    });
    return reply.send();
  });
}
