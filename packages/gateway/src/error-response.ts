/**
 * One place that turns any refusal into the wire response (CONVENTIONS.md "Errors"): auth
 * errors as RFC 6750 / RFC 9449 challenges, gateway refusals as
 * `{"error":{"code","message","correlationId"}}` with their protocol headers (`Allow`,
 * `Retry-After`, `RateLimit-*`), anything unexpected as a bare `server_error`. Every refusal is
 * audited with its code and the step that refused; never a token, proof or header value.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isStellaError, toErrorBody } from '@stella/core';
import type { AuditSink, Logger } from '@stella/core';
import { isChallengeError } from './auth-port.ts';
import { gatewayError } from './errors.ts';
import { rateLimitHeaders } from './rate-limit.ts';
import { getContext } from './request-context.ts';

export interface ErrorResponseDeps {
  readonly audit: AuditSink;
  readonly logger: Logger;
}

// Fastify's own errors that can reach us before or around the pipeline, mapped to our codes.
function mapFrameworkError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return gatewayError('body_too_large', { detail: String(code) });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return gatewayError('unsupported_media_type', { detail: String(code) });
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return gatewayError('path_traversal', { detail: String(code) });
    default:
      return error;
  }
}

export function sendError(
  deps: ErrorResponseDeps,
  rawError: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const error = mapFrameworkError(rawError);
  const ctx = getContext(request);
  const correlationId = ctx?.correlationId ?? 'unknown';
  let status: number;
  let body: unknown;
  let code: string;
  if (isChallengeError(error)) {
    const challenge = error.toChallenge({ correlationId });
    status = challenge.status;
    body = challenge.body;
    code = error.code;
    for (const [name, value] of Object.entries(challenge.headers)) {
      // A challenge belongs to 4xx refusals; 5xx (stale revocations, JWKS down) carry none.
      if (value === undefined || (name === 'www-authenticate' && status >= 500)) continue;
      void reply.header(name, value);
    }
  } else {
    const rendered = toErrorBody(error, correlationId);
    status = rendered.status;
    body = rendered.body;
    code = rendered.body.error.code;
    if (isStellaError(error)) {
      for (const [name, value] of Object.entries(error.extra)) void reply.header(name, value);
    }
  }
  if (ctx?.rate !== undefined && code !== 'rate_limited') {
    void reply.headers(rateLimitHeaders(ctx.rate));
  }
  const outcome = code === 'rate_limited' ? 'rate_limited' : status >= 500 ? 'error' : 'failure';
  const detail = isStellaError(error) ? error.detail : undefined;
  const log =
    status >= 500 ? deps.logger.error.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log(
    {
      correlationId,
      step: ctx?.step,
      code,
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(status >= 500 && !isStellaError(error) ? { err: String((error as Error)?.name) } : {}),
    },
    'gateway request refused',
  );
  deps.audit
    .append({
      type: 'gateway.request.denied',
      correlationId,
      outcome,
      reason: code,
      tenant: ctx?.principal?.tenant ?? '_platform',
      ...(ctx?.principal === undefined
        ? {}
        : { actor: { clientId: ctx.principal.clientId, subject: ctx.principal.subject } }),
      ...(ctx?.principal === undefined ? {} : { scopes: [...ctx.principal.scopes].sort() }),
      network: { address: ctx?.address ?? request.raw.socket.remoteAddress ?? 'unknown' },
      properties: {
        step: ctx?.step ?? 'framework',
        route: ctx?.route?.name ?? null,
        method: request.method,
        status,
      },
    })
    .catch(() => deps.logger.error({ correlationId }, 'audit append failed'));
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}
