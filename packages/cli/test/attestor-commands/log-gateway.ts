/**
 * A stand-in for the gateway in front of the attestor's read API, for `stella log check`: a real
 * HTTP server with the token endpoint (client assertion verified with jose, DPoP proof with
 * `@stella/auth`) and the two routes a witness uses, answered by the attestor's real log reader.
 * `serve(log)` swaps the log behind it, which is how a test plays a lying operator.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import { encodeBase64 } from '@stella/crypto';
import { isStellaError, systemClock } from '@stella/core';
import { verifyDpopProof } from '@stella/auth';
import type { TestLog } from './log-fixture.ts';
import { fakeTokenEndpoint } from '../support/fake-token-endpoint.ts';

export interface LogGateway {
  readonly base: string;
  readonly clientJwk: JWK;
  serve(log: TestLog): void;
  close(): Promise<void>;
}

export async function startLogGateway(initial: TestLog): Promise<LogGateway> {
  const app = Fastify();
  const endpoint = fakeTokenEndpoint(app);
  const { clientJwk } = endpoint;
  const tokens = new Map<string, string>(); // access token → DPoP key thumbprint
  let log = initial;
  let base = '';

  app.post('/token', async (request, reply) => {
    const { form, proof } = await endpoint.verify(request, base);
    if (form['audience'] !== 'attestor' || form['scope'] !== 'attestor:read') {
      return reply.code(400).send({ error: 'invalid_target' });
    }
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, proof.jkt);
    return reply.send({
      access_token: token,
      token_type: 'DPoP',
      expires_in: 120,
      scope: form['scope'],
    });
  });

  /** The gateway's job for these routes: a DPoP-bound token, and the tenant it is asked for. */
  function authorize(request: FastifyRequest): string {
    const auth = request.headers.authorization ?? '';
    const token = auth.startsWith('DPoP ') ? auth.slice(5) : '';
    const jkt = tokens.get(token);
    if (jkt === undefined) throw new Error('unknown token');
    const dpop = request.headers['dpop'];
    verifyDpopProof({
      proofs: typeof dpop === 'string' ? [dpop] : [],
      method: request.method,
      url: `${base}${request.url}`,
      accessToken: token,
      expectedJkt: jkt,
      clock: systemClock,
    });
    const tenant = request.headers['x-stellaops-tenant'];
    if (tenant !== log.tenant) throw new Error('wrong tenant');
    return tenant;
  }

  const refuse = (reply: FastifyReply, error: unknown) => {
    const code = isStellaError(error) ? error.code : 'unauthorized';
    return reply.code(isStellaError(error) ? error.status : 401).send({ error: { code } });
  };

  app.get('/api/v1/attestor/log/checkpoint', async (request, reply) => {
    try {
      const cp = await log.reader.checkpoint(authorize(request));
      return await reply.type('text/plain; charset=utf-8').send(cp.note);
    } catch (error) {
      return refuse(reply, error);
    }
  });
  app.get('/api/v1/attestor/log/proof/consistency', async (request, reply) => {
    try {
      const tenant = authorize(request);
      const q = request.query as Record<string, string>;
      const [from, to] = [Number(q['from']), Number(q['to'])];
      const hashes = await log.reader.consistencyProof(tenant, from, to);
      return await reply.send({ from, to, hashes: hashes.map(encodeBase64) });
    } catch (error) {
      return refuse(reply, error);
    }
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    get base() {
      return base;
    },
    clientJwk,
    serve: (next) => {
      log = next;
    },
    close: () => app.close(),
  };
}
