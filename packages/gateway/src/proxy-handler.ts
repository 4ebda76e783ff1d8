/**
 * Final pipeline steps: strip reserved headers, set identity headers (PLATFORM.md §4 "Identity
 * propagation"), then proxy over mTLS and stream the answer back.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayAuthenticator } from './auth-port.ts';
import { formatClientCertHeader } from './client-cert.ts';
import { gatewayError } from './errors.ts';
import { filterRequestHeaders, filterResponseHeaders, identityHeaders } from './forward-headers.ts';
import type { IdentityHeaders } from './forward-headers.ts';
import { forward } from './proxy.ts';
import { rateLimitHeaders } from './rate-limit.ts';
import { getContext } from './request-context.ts';
import type { Upstream } from './upstream-pool.ts';

export interface ProxyHandlerDeps {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly authenticator: GatewayAuthenticator;
  readonly retries: number;
}

export function createProxyHandler(deps: ProxyHandlerDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = getContext(request);
    const route = ctx?.route;
    if (ctx === undefined || route === undefined) throw gatewayError('not_found');
    const upstream = deps.upstreams.get(route.upstream);
    if (upstream === undefined) throw gatewayError('bad_gateway', { detail: 'no upstream' });
    ctx.step = 'identity-headers';
    const principal = ctx.principal;
    // One object per request: end-to-end headers first, then the gateway's own on top (the
    // reserved names were stripped by the filter, so nothing inbound survives under them).
    const headers = filterRequestHeaders(request.headers);
    const identity: { -readonly [K in keyof IdentityHeaders]: IdentityHeaders[K] } = {
      correlationId: ctx.correlationId,
      traceparent: ctx.traceparent,
      address: ctx.address,
    };
    if (principal !== undefined) {
      if (principal.tenant !== undefined) identity.tenant = principal.tenant;
      identity.clientId = principal.clientId;
      identity.scopes = principal.scopes;
      identity.identityEnvelope = deps.authenticator.signIdentity(
        principal,
        route.audience,
        ctx.correlationId,
      );
    }
    if (route.forwardClientCert && ctx.peerCertificate !== undefined) {
      identity.clientCert = formatClientCertHeader(ctx.peerCertificate);
    }
    identityHeaders(identity, headers);
    ctx.step = 'proxy';
    const body = request.body as Readable | undefined;
    const response = await forward(upstream, {
      method: request.method,
      target: ctx.target,
      headers,
      body: body !== undefined && typeof body.pipe === 'function' ? body : undefined,
      bodyCapBytes: route.bodyCapBytes,
      contentLength:
        typeof request.headers['content-length'] === 'string'
          ? request.headers['content-length']
          : undefined,
      retries: deps.retries,
    });
    void reply.code(response.statusCode);
    void reply.headers(filterResponseHeaders(response.headers));
    if (ctx.rate !== undefined) void reply.headers(rateLimitHeaders(ctx.rate));
    if (route.nonceRequired) {
      const nonce = deps.authenticator.currentNonce();
      if (nonce !== undefined) void reply.header('dpop-nonce', nonce);
    }
    return reply.send(response.body);
  };
}
