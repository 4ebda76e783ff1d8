/**
 * A gateway wired exactly as in production (real `@stella/auth` verifiers, real memory KV,
 * default route table) in front of a real listening fastify upstream that records what reaches
 * it. Feature tests drive the gateway with `app.inject()`.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { manualClock, sequentialIds } from '@stella/core';
import type { KeyValueStore, ManualClock } from '@stella/core';
import { createNonceIssuer, createStaticJwks } from '@stella/auth';
import type { NonceIssuer } from '@stella/auth';
import { createMemoryKv } from '@stella/storage';
import { createAuthAuthenticator } from '../../src/auth-adapter.ts';
import { createGatewayService } from '../../src/service.ts';
import type { GatewayLimits, GatewayService } from '../../src/service.ts';
import type { RouteDefinition } from '../../src/routes.ts';
import { createMemoryAudit, createMemoryLogger } from './fakes.ts';
import { ISSUER, createDpopClient, createTestKey, jwksOf, mintAccessToken } from './tokens.ts';
import type { DpopClient, TestKey, TokenClaims } from './tokens.ts';

export const EXTERNAL = 'https://gw.test.local';
export const HOST = 'gw.test.local';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
}

export async function startRecordingUpstream(): Promise<{
  app: FastifyInstance;
  url: string;
  seen: SeenRequest[];
}> {
  const seen: SeenRequest[] = [];
  const app = fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  app.all('/*', async (request) => {
    const body = request.body as Buffer | undefined;
    seen.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      bodyBytes: body?.length ?? 0,
    });
    return { upstream: 'ok' };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, seen };
}

export interface Fixture {
  service: GatewayService;
  upstream: { app: FastifyInstance; seen: SeenRequest[] };
  clock: ManualClock;
  authorityKey: TestKey;
  dpop: DpopClient;
  nonces: NonceIssuer;
  audit: ReturnType<typeof createMemoryAudit>;
  logger: ReturnType<typeof createMemoryLogger>;
  now(): number;
  token(claims?: TokenClaims): Promise<string>;
  /** Authorization + DPoP headers for `method path` with a DPoP-bound token. */
  dpopHeaders(
    method: string,
    path: string,
    claims?: TokenClaims,
    nonce?: boolean,
  ): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  kv?: KeyValueStore;
  /** Shared with another fixture to model replicas of one deployment. */
  kvPrefix?: string;
  clock?: ManualClock;
  authorityKey?: TestKey;
  dpop?: DpopClient;
  limits?: Partial<GatewayLimits>;
  routes?: readonly RouteDefinition[];
  trustedProxies?: readonly string[];
}

export async function createFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const clock = options.clock ?? manualClock(Date.now());
  const authorityKey = options.authorityKey ?? (await createTestKey());
  const dpop = options.dpop ?? (await createDpopClient());
  const nonces = createNonceIssuer({ secret: new Uint8Array(32).fill(7), clock });
  const kv = options.kv ?? createMemoryKv({ clock });
  const upstream = await startRecordingUpstream();
  const audit = createMemoryAudit();
  const logger = createMemoryLogger();
  const envelope = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const service = await createGatewayService({
    externalUrl: EXTERNAL,
    upstreams: {
      authority: { url: upstream.url },
      signer: { url: upstream.url },
      attestor: { url: upstream.url },
    },
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    authenticator: createAuthAuthenticator({
      issuer: ISSUER,
      externalUrl: EXTERNAL,
      audiences: ['signer', 'attestor'],
      jwks: createStaticJwks(jwksOf(authorityKey)),
      kv,
      nonceIssuer: nonces,
      clock,
      envelopeKey: envelope.privateKey,
      envelopeKid: 'gw-1',
    }),
    kv,
    kvPrefix: options.kvPrefix ?? `t${process.pid}:${Math.random().toString(36).slice(2)}:`,
    audit,
    logger,
    clock,
    ids: sequentialIds('gw'),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
  });
  const now = () => Math.floor(clock.now() / 1000);
  const token = (claims: TokenClaims = {}) =>
    mintAccessToken(authorityKey, now(), { jkt: dpop.jkt, ...claims });
  return {
    service,
    upstream,
    clock,
    authorityKey,
    dpop,
    nonces,
    audit,
    logger,
    now,
    token,
    async dpopHeaders(method, path, claims = {}, nonce = true) {
      const at = await token(claims);
      const proof = await dpop.proof(method, `${EXTERNAL}${path.split('?')[0]}`, {
        token: at,
        iat: now(),
        ...(nonce ? { nonce: nonces.current() } : {}),
      });
      return { authorization: `DPoP ${at}`, dpop: proof };
    },
    async close() {
      await service.close();
      await upstream.app.close();
    },
  };
}
