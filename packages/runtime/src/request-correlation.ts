import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdGenerator, Logger } from '@stella/core';
import { resolveCorrelationId } from './correlation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's correlation id (PLATFORM.md §7), set before any other hook runs. */
    correlationId: string;
  }
}

/** Who made the request, when a later hook (the auth plugin) has established it. */
export type RequestActor = (request: FastifyRequest) => {
  tenant?: string | undefined;
  clientId?: string | undefined;
};

/**
 * Gives every request of a service a correlation id — the caller's `X-Correlation-Id` or
 * `traceparent` trace id when well formed, else a new one — echoes it in the response, and writes
 * one `access` log line per request that carries it, so a request can be followed across the
 * gateway and every service behind it. Never logs headers, bodies or query strings (they carry
 * tokens and proofs); the route pattern stands in for the URL.
 */
export function installRequestCorrelation(
  app: FastifyInstance,
  options: { ids: IdGenerator; logger: Logger; actor?: RequestActor },
): void {
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    request.correlationId = resolveCorrelationId(request.headers, options.ids);
    void reply.header('x-correlation-id', request.correlationId);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = options.actor?.(request) ?? {};
    options.logger.info(
      {
        correlationId: request.correlationId,
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        ...(actor.tenant === undefined ? {} : { tenant: actor.tenant }),
        ...(actor.clientId === undefined ? {} : { clientId: actor.clientId }),
      },
      'access',
    );
  });
}
