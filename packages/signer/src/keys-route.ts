import type { FastifyInstance } from 'fastify';
import { publishSignerKeys } from './key-ring.ts';
import type { SignerKeySource } from './key-ring.ts';

/**
 * `GET /api/v1/signer/keys`: public keys with their validity windows, including retired and
 * revoked keys so envelopes signed earlier stay verifiable with the key valid at signing time.
 * Public data: no token required (declared explicitly so the route table shows the decision).
 */
export const keysRouteAuth = 'public' as const;

export function registerKeysRoute(app: FastifyInstance, keys: SignerKeySource): void {
  app.route({
    method: 'GET',
    url: '/api/v1/signer/keys',
    config: { auth: keysRouteAuth },
    handler: async (_request, reply) => {
      const body = publishSignerKeys(await keys.current());
      return reply.header('cache-control', 'no-cache').send(body);
    },
  });
}
