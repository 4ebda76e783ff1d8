import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteAuth } from '@stella/auth';
import { StellaError } from '@stella/core';
import { signerError } from './errors.ts';
import { sendError } from './respond.ts';
import { deniedEvent, failureOf, signedEvent } from './sign-audit.ts';
import { signSteps } from './sign-steps.ts';
import type { SignContext, SignDeps, SignStep } from './sign-steps.ts';

/**
 * Route requirements, declared with the route (PLATFORM.md §5): audience `signer` is enforced by
 * the request verifier for every route of this service; scope `signer:sign`, a tenant, and a
 * DPoP nonce (or an mTLS-bound token) are enforced by `@stella/auth`'s plugin from this value.
 */
export const signRouteAuth: RouteAuth = Object.freeze({
  scopes: ['signer:sign'],
  tenant: true,
  nonce: true,
});

// Fastify's own body errors, mapped onto the signer registry.
function mapFrameworkError(error: unknown): unknown {
  if (error instanceof StellaError || typeof error !== 'object' || error === null) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return signerError('payload_too_large');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return signerError('unsupported_media_type');
  if (typeof code === 'string' && code.startsWith('FST_ERR_CTP_')) {
    return signerError('invalid_request', { detail: code });
  }
  return error;
}

function contextOf(request: FastifyRequest): SignContext {
  const ctx: SignContext = { correlationId: request.correlationId };
  const principal = request.principal;
  if (principal !== undefined) {
    ctx.principal = principal;
    if (principal.tenant !== undefined) ctx.tenant = principal.tenant;
  }
  return ctx;
}

/**
 * `POST /api/v1/signer/sign/dsse`. Gates 1–2 (principal; scope/audience/tenant) run in the auth
 * plugin's onRequest hook, before the body is read; the rest run here in `signSteps` order. Any
 * refusal produces no signature, one `signer.sign.denied` audit event and a stable code.
 */
export function registerSignRoute(app: FastifyInstance, deps: SignDeps): void {
  const deny = async (request: FastifyRequest, ctx: SignContext, step: string, error: unknown) => {
    try {
      await deps.audit.append(deniedEvent(ctx, step, failureOf(error), request.ip));
    } catch (auditError) {
      request.log.error({ err: String(auditError) }, 'audit append failed');
    }
  };

  app.route({
    method: 'POST',
    url: '/api/v1/signer/sign/dsse',
    config: { auth: signRouteAuth },
    errorHandler: async (rawError, request, reply) => {
      const error = mapFrameworkError(rawError);
      await deny(request, contextOf(request), 'parseRequest', error);
      return sendError(reply, error, request.correlationId);
    },
    handler: async (request, reply) => {
      const ctx = contextOf(request);
      ctx.rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let current: SignStep | undefined;
      try {
        for (const step of signSteps) {
          current = step;
          await step.run(ctx, deps);
        }
        current = undefined;
        // Audit before respond: an envelope is never released without its audit record.
        await deps.audit.append(signedEvent(ctx, request.ip));
      } catch (error) {
        await ctx.lease?.release();
        await deny(request, ctx, current?.name ?? 'audit', error);
        return sendError(reply, error, ctx.correlationId);
      }
      await ctx.lease?.release();
      const body =
        ctx.receipt === undefined
          ? { envelope: ctx.envelope }
          : { envelope: ctx.envelope, receipt: ctx.receipt };
      return reply.code(200).send(body);
    },
  });
}
