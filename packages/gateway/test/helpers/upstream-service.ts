/**
 * A real upstream in behind-the-gateway mode (`@stella/auth` plugin over mTLS): it accepts
 * external traffic only from the gateway's SPIFFE identity with a valid identity envelope, and
 * still verifies the access token itself. It echoes what it received so tests can see exactly
 * which identity headers crossed the hop.
 */
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Clock, KeyValueStore, Logger } from '@stella/core';
import {
  authPlugin,
  createAccessTokenVerifier,
  createReplayCache,
  createRequestVerifier,
  createStaticJwks,
} from '@stella/auth';
import type { NonceIssuer } from '@stella/auth';

export interface UpstreamServiceOptions {
  readonly tls: { key: string; cert: string; ca: string };
  readonly issuer: string;
  readonly externalUrl: string;
  readonly jwks: unknown;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  readonly nonces: NonceIssuer;
  readonly gatewayEnvelopeKey: { kid: string; key: KeyObject };
  readonly logger: Logger;
}

export async function startUpstreamService(
  options: UpstreamServiceOptions,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = fastify({
    https: { ...options.tls, requestCert: true, rejectUnauthorized: true },
  });
  const verifier = createRequestVerifier({
    audience: 'signer',
    externalUrl: options.externalUrl,
    accessTokens: createAccessTokenVerifier({
      issuer: options.issuer,
      audience: 'signer',
      jwks: createStaticJwks(options.jwks),
      clock: options.clock,
    }),
    replayCache: createReplayCache(options.kv, {
      prefix: `signer:${Math.random()}:`,
      windowMs: 120_000,
    }),
    nonceIssuer: options.nonces,
    requireNonce: false,
    clock: options.clock,
    mode: 'behind-gateway',
    gateway: {
      identities: ['spiffe://test.local/svc/gateway'],
      envelopeKeys: new Map([
        [
          options.gatewayEnvelopeKey.kid,
          {
            kid: options.gatewayEnvelopeKey.kid,
            alg: 'ES256',
            key: options.gatewayEnvelopeKey.key,
          },
        ],
      ]),
    },
  });
  await app.register(authPlugin, {
    verifier,
    correlationId: (request) => String(request.headers['x-correlation-id'] ?? request.id),
  });
  app.post(
    '/api/v1/signer/sign/dsse',
    { config: { auth: { scopes: ['signer:sign'], tenant: true } } },
    async (request) => {
      options.logger.info(
        { correlationId: request.headers['x-correlation-id'], tenant: request.principal?.tenant },
        'signed',
      );
      return { principal: request.principal, headers: request.headers };
    },
  );
  app.get('/healthz', { config: { auth: 'public' } }, async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `https://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
