/**
 * Evidence API (issue 6 wire table): `PUT /api/v1/evidence` streams the raw body into the object
 * store (hashed as it arrives, capped at `maxEvidenceBytes`), `GET`/`HEAD
 * /api/v1/evidence/sha256:<hex>` serve the tenant's bytes, verified on read. Write-once: no
 * update or delete route exists.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditSink, Logger } from '@stella/core';
import { attestorError } from '../errors.ts';
import type { EvidenceStore } from '../evidence/evidence-store.ts';
import { audit, parseDigestText, tenantOf } from './http-support.ts';

export interface EvidenceRouteDeps {
  readonly evidence: EvidenceStore;
  readonly maxEvidenceBytes: number;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

// RFC 9110 §8.3.1 media-type = type "/" subtype *( OWS ";" OWS parameter ); kept short and printable.
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}( *;[\x20-\x7e]{0,128})?$/;

export function registerEvidenceRoutes(app: FastifyInstance, deps: EvidenceRouteDeps): void {
  const read = { scopes: ['evidence:read'], tenant: true } as const;
  const callers = ['gateway', 'signer'] as const;
  app.register(async (scope) => {
    // The body is never buffered: the raw request stream goes to the object store.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      done(null, payload);
    });
    scope.route({
      method: 'PUT',
      url: '/api/v1/evidence',
      config: { auth: { scopes: ['evidence:write'], tenant: true }, callers: ['gateway'] },
      handler: async (request, reply) => {
        const tenant = tenantOf(request);
        const declared = Number(request.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > deps.maxEvidenceBytes) {
          throw attestorError('payload_too_large');
        }
        const expected = request.headers['x-content-digest'];
        const expectedDigest = expected === undefined ? undefined : parseDigestText(expected);
        const contentType = request.headers['content-type'] ?? 'application/octet-stream';
        if (!MEDIA_TYPE.test(contentType)) {
          throw attestorError('invalid_request', { detail: 'content-type' });
        }
        const body = (request.body ?? request.raw) as AsyncIterable<Uint8Array>;
        const stored = await deps.evidence.put(tenant, body, {
          maxBytes: deps.maxEvidenceBytes,
          mediaType: contentType,
          ...(expectedDigest === undefined ? {} : { expectedDigest }),
        });
        await audit(deps.audit, deps.logger, request, {
          type: 'attestor.evidence.stored',
          outcome: 'success',
          properties: { digest: stored.digest, size: stored.size, created: stored.created },
        });
        return reply
          .code(stored.created ? 201 : 200)
          .send({ digest: stored.digest, size: stored.size });
      },
    });
  });
  app.route({
    method: 'HEAD',
    url: '/api/v1/evidence/:digest',
    config: { auth: read, callers },
    handler: async (request, reply) => {
      const digest = parseDigestText((request.params as { digest: string }).digest);
      const found = await deps.evidence.find(tenantOf(request), digest);
      if (found === undefined) throw attestorError('not_found');
      return reply
        .header('content-type', found.mediaType)
        .header('content-length', String(found.size))
        .header('x-content-digest', found.digest)
        .send();
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/evidence/:digest',
    exposeHeadRoute: false,
    config: { auth: read, callers },
    handler: async (request, reply) => {
      const digest = parseDigestText((request.params as { digest: string }).digest);
      const tenant = tenantOf(request);
      const found = await deps.evidence.find(tenant, digest);
      const bytes = found === undefined ? undefined : await deps.evidence.read(tenant, digest);
      if (found === undefined || bytes === undefined) throw attestorError('not_found');
      return reply
        .header('content-type', found.mediaType)
        .header('x-content-digest', found.digest)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  });
}
