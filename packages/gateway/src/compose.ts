/**
 * Composition root (service contract): plain, validated config → built dependencies →
 * `createGatewayService`. Config holds only secret *references* (PLATFORM.md §7); keys, the nonce
 * HMAC secret and the Valkey URL (which may carry a password) are resolved here.
 */
import { createPrivateKey } from 'node:crypto';
import { Agent, request } from 'undici';
import { createIdGenerator, systemClock } from '@stella/core';
import type { AuditSink, Clock, IdGenerator, KeyValueStore, Logger } from '@stella/core';
import { createNonceIssuer, createRemoteJwks, createRevocationPoller } from '@stella/auth';
import type { FetchLike } from '@stella/auth';
import type { SecretResolver } from '@stella/runtime';
import { createMemoryKv, createValkeyKv } from '@stella/storage';
import { createAuthAuthenticator } from './auth-adapter.ts';
import { defaultRoutes } from './default-routes.ts';
import { parseGatewayConfig } from './gateway-config.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { parseRouteTable } from './routes.ts';
import { createGatewayService } from './service.ts';
import type { GatewayService } from './service.ts';

export interface GatewayComposeDeps {
  readonly secrets: SecretResolver;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** An existing KV (embedded `stella up` shares one in-process); else from `valkeyUrlRef`. */
  readonly kv?: KeyValueStore;
}

export interface ComposedGateway extends GatewayService {
  readonly config: GatewayConfig;
}

export async function composeGatewayService(
  input: unknown,
  deps: GatewayComposeDeps,
): Promise<ComposedGateway> {
  const config = parseGatewayConfig(input);
  const clock = deps.clock ?? systemClock;
  const text = async (ref: string) => (await deps.secrets.resolveSecret(ref)).revealText();
  const identity = {
    key: await text(config.identity.keyRef),
    cert: await text(config.identity.certRef),
    ca: await text(config.identity.caRef),
  };
  // JWKS and revocations come from the Authority's internal listener over mTLS.
  const authorityAgent = new Agent({ connect: { ...identity, rejectUnauthorized: true } });
  const fetchOverMtls: FetchLike = async (url, init) => {
    const res = await request(url, {
      dispatcher: authorityAgent,
      signal: init.signal,
      headers: init.headers,
    });
    return { status: res.statusCode, text: () => res.body.text() };
  };
  const jwks = createRemoteJwks({ url: config.jwksUrl, fetch: fetchOverMtls, clock });
  const revocations = createRevocationPoller({
    url: config.revocationsUrl,
    fetch: fetchOverMtls,
    jwks,
    issuer: config.issuer,
    clock,
  });
  revocations.start();
  const kv =
    deps.kv ??
    (config.valkeyUrlRef === undefined
      ? createMemoryKv({ clock })
      : createValkeyKv({ url: await text(config.valkeyUrlRef), keyPrefix: 'stella:gateway:' }));
  const routes =
    config.routes === undefined
      ? defaultRoutes()
      : parseRouteTable(config.routes, Object.keys(config.upstreams));
  const nonceSecret = (await deps.secrets.resolveSecret(config.nonceSecretRef)).reveal();
  const envelopeKey = createPrivateKey(await text(config.envelope.keyRef));
  const tls =
    config.tls === undefined
      ? undefined
      : {
          key: await text(config.tls.keyRef),
          cert: await text(config.tls.certRef),
          ...(config.tls.clientCaRef === undefined
            ? {}
            : { ca: await text(config.tls.clientCaRef) }),
          requestCert: true as const,
          rejectUnauthorized: false,
        };
  const upstreams = Object.fromEntries(
    Object.entries(config.upstreams).map(([name, u]) => [
      name,
      {
        url: u.url,
        ...(u.healthPath === undefined ? {} : { healthPath: u.healthPath }),
        ...(u.url.startsWith('https:')
          ? {
              tls: {
                ...identity,
                ...(u.servername === undefined ? {} : { servername: u.servername }),
              },
            }
          : {}),
      },
    ]),
  );
  const service = await createGatewayService({
    externalUrl: config.externalUrl,
    ...(config.allowedHosts === undefined ? {} : { allowedHosts: config.allowedHosts }),
    routes,
    upstreams,
    ...(tls === undefined ? {} : { https: tls }),
    authenticator: createAuthAuthenticator({
      issuer: config.issuer,
      externalUrl: config.externalUrl,
      audiences: [...new Set(routes.filter((r) => r.auth === 'token').map((r) => r.audience))],
      jwks,
      kv,
      nonceIssuer: createNonceIssuer({ secret: nonceSecret, clock }),
      revocations,
      clock,
      envelopeKey,
      envelopeKid: config.envelope.kid,
    }),
    kv,
    audit: deps.audit,
    logger: deps.logger,
    clock,
    ids: deps.ids ?? createIdGenerator(clock),
    ...(config.limits === undefined ? {} : { limits: config.limits }),
    ...(config.metricsPort === undefined ? {} : { metricsPort: config.metricsPort }),
    ...(config.trustedProxies === undefined ? {} : { trustedProxies: config.trustedProxies }),
  });
  return {
    ...service,
    config,
    async close() {
      revocations.stop();
      await service.close();
      await authorityAgent.close();
      if (deps.kv === undefined) await kv.close();
    },
  };
}
