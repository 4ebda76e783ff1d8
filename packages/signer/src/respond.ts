import type { FastifyReply } from 'fastify';
import { isAuthError } from '@stella/auth';
import { isStellaError, toErrorBody } from '@stella/core';

/**
 * Sends a refusal: the auth package's challenge for authentication errors (RFC 6750 §3 /
 * RFC 9449 §7.1), `Retry-After` (RFC 9110 §10.2.3) for quotas, and otherwise the platform body
 * `{"error":{"code","message","correlationId"}}` (5xx without internals).
 */
export function sendError(
  reply: FastifyReply,
  error: unknown,
  correlationId: string,
): FastifyReply {
  if (isAuthError(error)) {
    const challenge = error.toChallenge({ correlationId });
    if (challenge.status < 500)
      reply.header('www-authenticate', challenge.headers['www-authenticate']);
    return reply.code(challenge.status).send(challenge.body);
  }
  const { status, body } = toErrorBody(error, correlationId);
  const retryAfter = isStellaError(error) ? error.extra['retryAfter'] : undefined;
  if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
  return reply.code(status).send(body);
}
