/**
 * A small local stand-in for the gateway + Authority used by the workflow tests: real fastify
 * over HTTP on 127.0.0.1, real verification with `@stella/auth`'s `verifyDpopProof` and jose
 * for the client assertion, and a nonce policy the test controls. It records what it saw so
 * tests can assert the exact wire behaviour (retry count, fresh jti, nonce, ath, digest).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import { systemClock } from '@stella/core';
import { verifyDpopProof } from '@stella/auth';
import { fakeTokenEndpoint } from '../support/fake-token-endpoint.ts';

export interface FakePlatform {
  readonly base: string;
  readonly clientJwk: JWK;
  readonly seen: {
    tokenAttempts: number;
    assertionJtis: string[];
    resourceAttempts: number;
    proofs: { htu: string; nonce?: string; jkt: string }[];
    uploads: { digest: string; bytes: number }[];
    signRequests: unknown[];
  };
  /** Changes the bytes served for a digest (to simulate a lying server). */
  tamper(digest: string, bytes: Buffer): void;
  close(): Promise<void>;
}

export interface FakePlatformOptions {
  /** How many times /token answers use_dpop_nonce before accepting (default 1). */
  readonly tokenNonceDemands?: number;
  /** How many times each resource request is answered with a 401 nonce challenge (default 1). */
  readonly resourceNonceDemands?: number;
}

export async function startFakePlatform(options: FakePlatformOptions = {}): Promise<FakePlatform> {
  const app = Fastify();
  const endpoint = fakeTokenEndpoint(app);
  const { clientJwk } = endpoint;
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: 16 * 1024 * 1024 },
    (_r, body, done) => done(null, body),
  );
  const nonce = randomBytes(16).toString('base64url');
  const tokens = new Map<string, string>(); // access token → jkt
  const store = new Map<string, Buffer>();
  const seen: FakePlatform['seen'] = {
    tokenAttempts: 0,
    assertionJtis: [],
    resourceAttempts: 0,
    proofs: [],
    uploads: [],
    signRequests: [],
  };
  let base = '';
  let tokenDemands = options.tokenNonceDemands ?? 1;

  app.post('/token', async (request, reply) => {
    seen.tokenAttempts += 1;
    const { form, assertion, proof } = await endpoint.verify(request, base);
    seen.assertionJtis.push(String(assertion.jti));
    if (tokenDemands > 0 || proof.nonce !== nonce) {
      tokenDemands -= 1;
      return reply.code(400).header('dpop-nonce', nonce).send({ error: 'use_dpop_nonce' });
    }
    if (form['audience'] === 'nope')
      return reply
        .code(400)
        .send({ error: 'invalid_target', error_description: 'unknown audience' });
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, proof.jkt);
    return reply
      .header('dpop-nonce', nonce)
      .send({ access_token: token, token_type: 'DPoP', expires_in: 120, scope: form['scope'] });
  });

  const demands = new Map<string, number>();
  // Returns true when it answered (a FastifyReply is thenable, so it is never returned itself).
  async function authorize(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    seen.resourceAttempts += 1;
    const auth = request.headers.authorization ?? '';
    const token = auth.startsWith('DPoP ') ? auth.slice(5) : '';
    const jkt = tokens.get(token);
    if (jkt === undefined) {
      reply.code(401).header('www-authenticate', 'DPoP error="invalid_token"').send({});
      return true;
    }
    const dpop = request.headers['dpop'];
    const proof = verifyDpopProof({
      proofs: typeof dpop === 'string' ? [dpop] : [],
      method: request.method,
      url: `${base}${request.url}`,
      accessToken: token,
      expectedJkt: jkt,
      clock: systemClock,
    });
    seen.proofs.push({
      htu: proof.htu,
      jkt: proof.jkt,
      ...(proof.nonce === undefined ? {} : { nonce: proof.nonce }),
    });
    const key = `${request.method} ${request.url}`;
    const left = demands.get(key) ?? options.resourceNonceDemands ?? 1;
    if (left > 0 || proof.nonce !== nonce) {
      demands.set(key, left - 1);
      reply
        .code(401)
        .header(
          'www-authenticate',
          'DPoP error="use_dpop_nonce", error_description="nonce required"',
        )
        .header('dpop-nonce', nonce)
        .send({ error: { code: 'use_dpop_nonce', message: 'nonce required' } });
      return true;
    }
    return false;
  }

  app.put('/api/v1/evidence', async (request, reply) => {
    if (await authorize(request, reply)) return reply;
    const body = request.body as Buffer;
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (request.headers['x-content-digest'] !== digest) {
      return reply
        .code(422)
        .header('x-correlation-id', 'corr-1')
        .send({ error: { code: 'digest_mismatch', message: 'digest mismatch' } });
    }
    seen.uploads.push({ digest, bytes: body.length });
    const existed = store.has(digest);
    if (!existed) store.set(digest, body);
    return reply.code(existed ? 200 : 201).send({ digest, size: body.length });
  });
  app.get('/api/v1/evidence/:digest', async (request, reply) => {
    if (await authorize(request, reply)) return reply;
    const bytes = store.get((request.params as { digest: string }).digest);
    if (bytes === undefined)
      return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
    return reply.header('content-type', 'application/octet-stream').send(bytes);
  });
  app.post('/api/v1/signer/sign/dsse', async (request, reply) => {
    if (await authorize(request, reply)) return reply;
    seen.signRequests.push(request.body);
    return reply.send({
      envelope: {
        payloadType: 'application/vnd.in-toto+json',
        payload: 'e30=',
        signatures: [{ keyid: 'k', sig: 'c2ln' }],
      },
      receipt: {
        uuid: 'u-1',
        index: 0,
        leafData: 'e30=',
        envelopeDigest: 'sha256:00',
        inclusionProof: { treeSize: 1, hashes: [] },
        checkpoint: 'c',
      },
    });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    base,
    clientJwk,
    seen,
    tamper: (digest, bytes) => store.set(digest, bytes),
    close: () => app.close(),
  };
}
