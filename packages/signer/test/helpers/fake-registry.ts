/**
 * A deliberately misbehaving OCI registry for negative tests (a real registry never serves bytes
 * that differ from the digest). Serves `/v2/<repo>/manifests/sha256:<hex>` from a table, with an
 * optional RFC 6750 token challenge and optional redirects.
 */
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';

export interface FakeManifest {
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly dockerContentDigest?: string;
  readonly redirectTo?: string;
}

export interface FakeRegistry {
  readonly host: string;
  readonly app: FastifyInstance;
  readonly manifests: Map<string, FakeManifest>;
  /** Number of token requests served (realm hits). */
  tokenRequests: number;
  lastTokenScope: string | undefined;
  close(): Promise<void>;
}

export async function startFakeRegistry(
  options: { requireToken?: boolean; realmHost?: () => string } = {},
): Promise<FakeRegistry> {
  const app = fastify();
  const state: FakeRegistry = {
    host: '',
    app,
    manifests: new Map(),
    tokenRequests: 0,
    lastTokenScope: undefined,
    close: () => app.close(),
  };
  const TOKEN = 'registry-token-abc';
  app.get('/token', async (request) => {
    state.tokenRequests += 1;
    state.lastTokenScope = (request.query as Record<string, string>)['scope'];
    return { token: TOKEN };
  });
  app.get('/v2/*', async (request, reply) => {
    if (options.requireToken === true && request.headers.authorization !== `Bearer ${TOKEN}`) {
      return reply
        .code(401)
        .header(
          'www-authenticate',
          `Bearer realm="http://${options.realmHost?.() ?? state.host}/token",service="fake",scope="repository:x:pull,push"`,
        )
        .send({ errors: [{ code: 'UNAUTHORIZED' }] });
    }
    const m = state.manifests.get(request.url);
    if (m === undefined) return reply.code(404).send({ errors: [{ code: 'MANIFEST_UNKNOWN' }] });
    if (m.redirectTo !== undefined) return reply.code(307).header('location', m.redirectTo).send();
    if (m.dockerContentDigest !== undefined)
      reply.header('docker-content-digest', m.dockerContentDigest);
    return reply
      .header('content-type', m.contentType ?? 'application/vnd.oci.image.manifest.v1+json')
      .send(Buffer.from(m.body));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return Object.assign(state, { host: `127.0.0.1:${address.port}` });
}
