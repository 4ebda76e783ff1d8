/**
 * `POST /token` (RFC 6749 §4.4 client credentials). Runs the named steps of `token-steps.ts` in
 * order; a refusal is logged and audited with the step that refused, and answered with the RFC
 * 6749 §5.2 body (plus `DPoP-Nonce` for RFC 9449 §8 `use_dpop_nonce`, `Retry-After` for 429).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink, Logger } from '@stella/core';
import { isStellaError } from '@stella/core';
import type { NonceIssuer } from '@stella/auth';
import type { AuthorityConfig } from '../defaults.ts';
import { authorityError } from '../errors.ts';
import type { FormParams } from '../form-body.ts';
import { correlationIdOf, headerValues, sendOAuthError, singleHeader } from '../http-support.ts';
import { clientAddressOf, requestClientCertificate } from '../request-origin.ts';
import type { RateLimiter } from '../rate-limit.ts';
import { rateLimitedError } from '../rate-limit.ts';
import type { TokenContext, TokenStep, TokenStepName } from '../token/token-context.ts';

export interface TokenRouteDeps {
  readonly config: AuthorityConfig;
  readonly steps: readonly TokenStep[];
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly nonces: NonceIssuer;
  readonly rateLimit: RateLimiter;
}

export function formParamsOf(request: FastifyRequest): FormParams {
  const body = request.body;
  if (typeof body !== 'object' || body === null) {
    throw authorityError('invalid_request', {
      status: 415,
      description: 'unsupported content type',
      detail: 'form: no body',
    });
  }
  return body as FormParams;
}

export function registerTokenRoute(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { config } = deps;

  async function auditRefusal(ctx: TokenContext, step: TokenStepName, error: unknown) {
    const code = isStellaError(error) ? error.code : 'server_error';
    const client = ctx.client?.client;
    await deps.audit.append({
      type: code === 'rate_limited' ? 'authority.token.rate_limited' : 'authority.token.refused',
      correlationId: ctx.input.correlationId,
      outcome:
        code === 'rate_limited' ? 'rate_limited' : code === 'server_error' ? 'error' : 'failure',
      reason: code,
      tenant: ctx.tenant ?? '_platform',
      ...(client === undefined ? {} : { actor: { clientId: client.id, subject: client.id } }),
      network: { address: ctx.input.address },
      properties: { step },
    });
  }

  app.post(
    '/token',
    {
      // Per-address limit before the body is even parsed (PLATFORM.md §2: 600/min).
      onRequest: async (request, reply) => {
        // Behind the gateway this is the client's address, not the gateway's (request-origin.ts).
        const address = clientAddressOf(request, config);
        const decision = await deps.rateLimit('token-address', address, config.tokenAddressLimit);
        if (decision.allowed) return;
        const error = rateLimitedError('token-address', decision.retryAfterSeconds);
        await deps.audit.append({
          type: 'authority.token.rate_limited',
          correlationId: correlationIdOf(request),
          outcome: 'rate_limited',
          reason: 'rate_limited',
          tenant: '_platform',
          network: { address },
          properties: { step: 'limitAddress' },
        });
        return sendOAuthError(reply, error);
      },
    },
    async (request, reply) => {
      const ctx: TokenContext = {
        input: {
          params: formParamsOf(request),
          authorization: singleHeader(request, 'authorization'),
          dpopProofs: headerValues(request, 'dpop'),
          clientCertificate: requestClientCertificate(request, config),
          address: clientAddressOf(request, config),
          correlationId: correlationIdOf(request),
        },
      };
      let step: TokenStepName = 'parseRequest';
      try {
        for (const current of deps.steps) {
          step = current.name;
          await current.run(ctx);
        }
      } catch (error) {
        deps.logger.info(
          {
            correlationId: ctx.input.correlationId,
            step,
            code: isStellaError(error) ? error.code : 'server_error',
            detail: isStellaError(error) ? error.detail : undefined,
            clientId: ctx.client?.client.id,
          },
          'token request refused',
        );
        if (step !== 'audit') await auditRefusal(ctx, step, error);
        const headers: Record<string, string> = {};
        if (isStellaError(error) && error.code === 'use_dpop_nonce') {
          headers['dpop-nonce'] = deps.nonces.current();
        }
        return sendOAuthError(reply, error, headers);
      }
      const token = ctx.token!;
      const cnf = ctx.cnf!;
      const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
      if (ctx.audience !== undefined && config.requireNonceAudiences.includes(ctx.audience)) {
        headers['dpop-nonce'] = deps.nonces.current(); // RFC 9449 §8.2: a fresh nonce to reuse
      }
      return reply.headers(headers).send({
        access_token: token.token,
        // RFC 9449 §5: DPoP-bound tokens are `DPoP`; RFC 8705 §3 mTLS-bound tokens stay `Bearer`.
        token_type: 'jkt' in cnf ? 'DPoP' : 'Bearer',
        expires_in: token.exp - token.iat,
        scope: ctx.scopes!.join(' '),
      });
    },
  );
}
