/**
 * What the CLI tests' stand-ins for the gateway + Authority share: a demo client key pair, form
 * parsing, and the real verification of a token request — the client assertion with jose (an
 * implementation independent of the CLI's), the DPoP proof with `@stella/auth`. Each stand-in
 * keeps its own policy (nonce demands, audiences) and answer on top.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { systemClock } from '@stella/core';
import { verifyDpopProof } from '@stella/auth';
import type { DpopProof } from '@stella/auth';

export interface FakeTokenEndpoint {
  /** The demo client's private JWK (client id `demo`), as `stella` is given it. */
  readonly clientJwk: JWK;
  /** Verifies a POST /token: assertion for `demo` with audience `base`, proof for `base/token`. */
  verify(
    request: FastifyRequest,
    base: string,
  ): Promise<{ form: Record<string, string>; assertion: JWTPayload; proof: DpopProof }>;
}

/** Registers the form parser on `app` and returns the demo client's token-request verifier. */
export function fakeTokenEndpoint(app: FastifyInstance): FakeTokenEndpoint {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = createLocalJWKSet({
    keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256' } as JWK],
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  return {
    clientJwk: { ...privateKey.export({ format: 'jwk' }), alg: 'ES256' } as JWK,
    async verify(request, base) {
      const form = request.body as Record<string, string>;
      const { payload } = await jwtVerify(form['client_assertion'] ?? '', jwks, {
        issuer: 'demo',
        subject: 'demo',
        audience: base,
        algorithms: ['ES256'],
      });
      const dpop = request.headers['dpop'];
      const proof = verifyDpopProof({
        proofs: typeof dpop === 'string' ? [dpop] : [],
        method: 'POST',
        url: `${base}/token`,
        clock: systemClock,
      });
      return { form, assertion: payload, proof };
    },
  };
}
