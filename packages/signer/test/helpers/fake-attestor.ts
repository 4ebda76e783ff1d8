/**
 * A fake attestor over real mTLS implementing the two endpoints the signer calls
 * (PLATFORM.md §6): the tenant-namespaced evidence read and the log append. It checks the peer's
 * SPIFFE identity, verifies the signer's token with `jose`, and verifies each DSSE envelope
 * against the signer's published keys before issuing a receipt.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import fastify from 'fastify';
import type { FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { spiffeIdOf } from '@stella/auth';
import { verifyEnvelope } from '@stella/crypto';
import type { VerificationKey } from '@stella/crypto';
import { ISSUER, SIGNER_ID } from './platform.ts';
import type { TestPlatform } from './platform.ts';

export interface FakeAttestor {
  readonly url: string;
  /** tenant → sha256 hex → bytes */
  readonly evidence: Map<string, Map<string, Uint8Array>>;
  readonly entries: { tenant: string; envelopeDigest: string }[];
  putEvidence(tenant: string, bytes: Uint8Array): string;
  close(): Promise<void>;
}

export async function startFakeAttestor(
  platform: TestPlatform,
  resolveSignerKey: (keyid: string) => VerificationKey | undefined,
  authorityKey: KeyObject,
): Promise<FakeAttestor> {
  const app = fastify({
    https: {
      key: platform.attestor.key,
      cert: platform.attestor.cert,
      ca: platform.pki.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
  const evidence = new Map<string, Map<string, Uint8Array>>();
  const entries: { tenant: string; envelopeDigest: string }[] = [];

  async function authorize(request: FastifyRequest, scope: string): Promise<string | undefined> {
    const socket = request.raw.socket as TLSSocket;
    if (spiffeIdOf(socket.getPeerCertificate()) !== SIGNER_ID) return undefined;
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return undefined;
    try {
      const { payload } = await jwtVerify(auth.slice(7), authorityKey, {
        issuer: ISSUER,
        audience: 'attestor',
      });
      const scopes = String(payload['scope'] ?? '').split(' ');
      return scopes.includes(scope) && typeof payload['tid'] === 'string'
        ? payload['tid']
        : undefined;
    } catch {
      return undefined;
    }
  }

  app.get('/api/v1/evidence/:digest', async (request, reply) => {
    const tenant = await authorize(request, 'evidence:read');
    if (tenant === undefined) return reply.code(401).send({ error: { code: 'invalid_token' } });
    const digest = (request.params as { digest: string }).digest;
    const bytes = evidence.get(tenant)?.get(digest.replace(/^sha256:/, ''));
    if (bytes === undefined) return reply.code(404).send({ error: { code: 'not_found' } });
    return reply.header('content-type', 'application/octet-stream').send(Buffer.from(bytes));
  });

  app.post('/api/v1/attestor/entries', async (request, reply) => {
    const tenant = await authorize(request, 'attestor:write');
    if (tenant === undefined) return reply.code(401).send({ error: { code: 'invalid_token' } });
    const { envelope } = request.body as { envelope: unknown };
    try {
      verifyEnvelope(envelope, resolveSignerKey);
    } catch {
      return reply.code(400).send({ error: { code: 'invalid_signature' } });
    }
    const envelopeDigest = `sha256:${createHash('sha256').update(JSON.stringify(envelope)).digest('hex')}`;
    entries.push({ tenant, envelopeDigest });
    return reply.code(201).send({
      uuid: randomUUID(),
      index: entries.length - 1,
      leafData: 'e30=',
      envelopeDigest,
      inclusionProof: { treeSize: entries.length, hashes: [] },
      checkpoint: `stella.test/${tenant}\n${entries.length}\nAAAA\n`,
    });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    url: `https://127.0.0.1:${address.port}`,
    evidence,
    entries,
    putEvidence(tenant, bytes) {
      const hex = createHash('sha256').update(bytes).digest('hex');
      if (!evidence.has(tenant)) evidence.set(tenant, new Map());
      evidence.get(tenant)!.set(hex, bytes);
      return hex;
    },
    close: () => app.close(),
  };
}
