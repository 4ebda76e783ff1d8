/**
 * `GET /revocations`: the signed, sequence-numbered revocation bundle for offline resource
 * servers (wire format defined by `@stella/auth` revocations.ts; media type RFC 7519 §10.3.1).
 */
import type { FastifyInstance } from 'fastify';
import type { AuthorityConfig } from '../defaults.ts';
import type { RevocationStore } from '../revocation-store.ts';
import type { SigningKeyStore } from '../signing-keys.ts';

export function registerRevocationsRoute(
  app: FastifyInstance,
  config: AuthorityConfig,
  revocations: RevocationStore,
  keys: SigningKeyStore,
): void {
  app.get('/revocations', async (_request, reply) => {
    const jws = await revocations.signedBundle(config.issuer, await keys.activeKey());
    return reply.type('application/jwt').header('cache-control', 'no-cache').send(jws);
  });
}
