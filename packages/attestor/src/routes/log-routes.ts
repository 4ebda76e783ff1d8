/**
 * Log read API (issue 6 wire table): the latest signed checkpoint as a `text/plain` C2SP note,
 * inclusion and consistency proofs (standard base64 hashes, as in checkpoints — RFC 9162 §2.1.3,
 * §2.1.4), and the tenant log's `vkey` + origin for trust export.
 */
import type { FastifyInstance } from 'fastify';
import { encodeBase64 } from '@stella/crypto';
import type { LogReader } from '../tlog/log-reader.ts';
import type { LogSigner } from '../tlog/log-signer.ts';
import { parseCount, queryOf, tenantOf } from './http-support.ts';

export function registerLogRoutes(
  app: FastifyInstance,
  deps: { log: LogReader; signer: LogSigner },
): void {
  const config = {
    auth: { scopes: ['attestor:read'], tenant: true },
    callers: ['gateway'],
  } as const;
  app.get('/api/v1/attestor/log/checkpoint', { config }, async (request, reply) => {
    const checkpoint = await deps.log.checkpoint(tenantOf(request));
    return reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(checkpoint.note);
  });
  app.get('/api/v1/attestor/log/proof/inclusion', { config }, async (request, reply) => {
    const query = queryOf(request, ['index', 'size']);
    const index = parseCount(query['index'], 'index');
    const size = parseCount(query['size'], 'size');
    const hashes = await deps.log.inclusionProof(tenantOf(request), index, size);
    return reply.send({ index, treeSize: size, hashes: hashes.map(encodeBase64) });
  });
  app.get('/api/v1/attestor/log/proof/consistency', { config }, async (request, reply) => {
    const query = queryOf(request, ['from', 'to']);
    const from = parseCount(query['from'], 'from');
    const to = parseCount(query['to'], 'to');
    const hashes = await deps.log.consistencyProof(tenantOf(request), from, to);
    return reply.send({ from, to, hashes: hashes.map(encodeBase64) });
  });
  app.get('/api/v1/attestor/log/vkey', { config }, async (request, reply) => {
    const tenant = tenantOf(request);
    return reply.send({
      tenant,
      origin: deps.signer.origin(tenant),
      vkey: deps.signer.vkey(tenant),
    });
  });
}
