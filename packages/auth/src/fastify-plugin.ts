/**
 * Fastify adapter: every route declares `config.auth = { scopes, tenant, nonce? }` or
 * `config.auth = 'public'`; a route with neither fails at registration (fail closed). The
 * `onRequest` hook authenticates (verify-request.ts), resolves the tenant, checks scopes,
 * decorates `request.principal`, and maps refusals onto exact challenges + the platform error
 * body, reporting each denial to `onDenied` so services can write audit events.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from '@stella/core';
import { AuthError, isAuthError } from './errors.ts';
import type { PeerCertificateLike } from './mtls.ts';
import type { NonceIssuer } from './nonce.ts';
import { requireScopes, requireTenant } from './principal.ts';
import type { Principal } from './principal.ts';
import type { RequestVerifier } from './verify-request.ts';

export interface RouteAuth {
  readonly scopes: readonly string[];
  /** The route is tenant-scoped: a token without `tid` gets `tenant_required`. */
  readonly tenant: boolean;
  /** Demand a DPoP nonce on this route (overrides the verifier default). */
  readonly nonce?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth | 'public';
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface AuthDeniedEvent {
  readonly code: string;
  readonly status: number;
  /** Log-only reason (ids and digests only). */
  readonly detail: string | undefined;
  readonly method: string;
  readonly route: string;
  readonly correlationId: string;
  /**
   * The authenticated caller's tenant and client when the denial came after authentication
   * (insufficient_scope, tenant_required, tenant_mismatch), so the event can be audited under the
   * caller's tenant; undefined when authentication itself failed. Taken from the verified token,
   * never from the attacker-controlled tenant header.
   */
  readonly tenant: string | undefined;
  readonly clientId: string | undefined;
  readonly request: FastifyRequest;
}

export interface AuthPluginOptions {
  readonly verifier: RequestVerifier;
  /** When set, successful responses carry a fresh `DPoP-Nonce` (RFC 9449 §8.2). */
  readonly nonceIssuer?: NonceIssuer;
  readonly realm?: string;
  readonly correlationId?: (request: FastifyRequest) => string;
  readonly onDenied?: (event: AuthDeniedEvent) => void | Promise<void>;
}

const TENANT_HEADER = 'x-stellaops-tenant';

// Node keeps only the first `Authorization` and joins other duplicates; rawHeaders keeps all, so
// "two Authorization headers" and "two DPoP headers" are detectable (RFC 9449 §4.3 (1)).
function collectHeaders(raw: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    (headers[name] ??= []).push(raw[i + 1] ?? '');
  }
  return headers;
}

// The verified peer certificate of a TLS 1.3 connection, read once per connection: TLS 1.3 has
// no renegotiation (RFC 8446 §4.6.2 post-handshake auth is not enabled by Node), so the peer
// cannot change for the socket's life. `getPeerCertificate()` re-parses the X.509 on every call
// (a top self-time frame on the signer's hot path). TLS 1.2 connections are never cached, since
// renegotiation (RFC 5746) could present a different certificate on the same socket.
type PeerCache = WeakMap<object, PeerCertificateLike>;

function peerOf(request: FastifyRequest, peerCache: PeerCache): PeerCertificateLike | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  // Only a chain-verified certificate counts (the TLS server sets `authorized`).
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') {
    return undefined;
  }
  const cached = peerCache.get(socket);
  if (cached !== undefined) return cached;
  const cert = socket.getPeerCertificate();
  const peer: PeerCertificateLike = Object.freeze({
    ...(cert.raw === undefined ? {} : { raw: new Uint8Array(cert.raw) }),
    ...(cert.subjectaltname === undefined ? {} : { subjectaltname: cert.subjectaltname }),
  });
  if (socket.getProtocol?.() === 'TLSv1.3') peerCache.set(socket, peer);
  return peer;
}

function authPluginImpl(
  app: FastifyInstance,
  options: AuthPluginOptions,
  done: (error?: Error) => void,
): void {
  const correlationOf = options.correlationId ?? ((request: FastifyRequest) => request.id);
  const peerCache: PeerCache = new WeakMap();
  app.decorateRequest('principal', undefined);

  app.addHook('onRoute', (route) => {
    const auth = (route.config as { auth?: unknown } | undefined)?.auth;
    if (auth !== 'public' && (typeof auth !== 'object' || auth === null)) {
      throw new TypeError(`route ${route.method.toString()} ${route.url} has no config.auth`);
    }
  });

  async function deny(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    principal: Principal | undefined,
  ) {
    const correlationId = correlationOf(request);
    let status: number;
    if (isAuthError(error)) {
      const challenge = error.toChallenge({
        correlationId,
        ...(options.realm === undefined ? {} : { realm: options.realm }),
      });
      status = challenge.status;
      // WWW-Authenticate belongs to 400/401/403 refusals, not to 5xx availability errors.
      if (status < 500)
        void reply.header('www-authenticate', challenge.headers['www-authenticate']);
      if (challenge.headers['dpop-nonce'] !== undefined) {
        void reply.header('dpop-nonce', challenge.headers['dpop-nonce']);
      }
      void reply.code(status).send(challenge.body);
    } else {
      const wire = toErrorBody(error, correlationId);
      status = wire.status;
      void reply.code(status).send(wire.body);
    }
    await options.onDenied?.({
      code: isAuthError(error) ? error.code : 'server_error',
      status,
      detail: isAuthError(error) ? error.detail : 'unexpected error',
      method: request.method,
      route: request.routeOptions.url ?? '',
      correlationId,
      tenant: principal?.tenant,
      clientId: principal?.clientId,
      request,
    });
    return reply;
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return undefined; // nothing to protect; the 404 handler answers
    const auth = request.routeOptions.config.auth;
    if (auth === 'public') return undefined;
    let principal: Principal | undefined;
    try {
      if (auth === undefined) throw new TypeError('route without config.auth'); // → 500
      const headers = collectHeaders(request.raw.rawHeaders);
      const peerCertificate = peerOf(request, peerCache);
      principal = await options.verifier.verifyRequest({
        method: request.method,
        url: request.url,
        headers,
        ...(peerCertificate === undefined ? {} : { peerCertificate }),
        ...(auth.nonce === undefined ? {} : { requireNonce: auth.nonce }),
      });
      // PLATFORM.md §4 order: tenant resolution, then scope check.
      if (auth.tenant) {
        const tenants = headers[TENANT_HEADER] ?? [];
        if (tenants.length > 1) throw new AuthError('invalid_request', { detail: 'two tenants' });
        requireTenant(principal, tenants[0]);
      }
      requireScopes(principal, auth.scopes);
      request.principal = principal;
      if (options.nonceIssuer !== undefined) {
        void reply.header('dpop-nonce', options.nonceIssuer.current());
      }
      return undefined;
    } catch (error) {
      return deny(request, reply, error, principal);
    }
  });
  done();
}

/** The plugin; `skip-override` makes its hooks apply to the registering scope (as fastify-plugin). */
export const authPlugin = Object.assign(authPluginImpl, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'stella-auth',
});
