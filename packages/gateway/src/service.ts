/**
 * `createGatewayService` (service contract): the front door + gateway layer as a fastify app.
 * Dependencies arrive built (KV, audit sink, logger, clock, ids, authenticator); `compose.ts`
 * turns config into them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AuditSink, Clock, IdGenerator, KeyValueStore, Logger } from '@stella/core';
import type { GatewayAuthenticator } from './auth-port.ts';
import { createClientErrorHandler } from './client-error.ts';
import { defaultRoutes } from './default-routes.ts';
import { canonicalAddress } from './client-address.ts';
import { gatewayDefaults } from './defaults.ts';
import { sendError } from './error-response.ts';
import { gatewayError } from './errors.ts';
import { createMetrics, listenMetrics } from './metrics.ts';
import type { GatewayMetrics } from './metrics.ts';
import { createContext, runPipeline } from './pipeline.ts';
import { createProxyHandler } from './proxy-handler.ts';
import { getContext, setContext } from './request-context.ts';
import { HTTP_METHODS } from './routes.ts';
import type { RouteDefinition } from './routes.ts';
import { createUpstream, probeUpstream } from './upstream-pool.ts';
import type { Upstream, UpstreamOptions } from './upstream-pool.ts';

type Widen<T> = T extends number ? number : T;
type Tunable = Exclude<
  keyof typeof gatewayDefaults,
  'tlsMinVersion' | 'tlsCiphers' | 'metricsHost'
>;
/** The tunable options of `gatewayDefaults` (TLS policy and the metrics bind address are fixed). */
export type GatewayLimits = { readonly [K in Tunable]: Widen<(typeof gatewayDefaults)[K]> };

export interface GatewayHttpsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Trust roots for client certificates (RFC 8705 mTLS clients). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly requestCert: true;
  /** false at the front door: DPoP clients without certificates must still connect. */
  readonly rejectUnauthorized: boolean;
}

export interface GatewayServiceOptions {
  /** The gateway's configured external URL; DPoP `htu` is checked against it, never `Host`. */
  readonly externalUrl: string;
  /** Host names answered (421 otherwise); default: the external URL's host. */
  readonly allowedHosts?: readonly string[];
  /** Route table; default `defaultRoutes()`. */
  readonly routes?: readonly RouteDefinition[];
  readonly upstreams: Readonly<Record<string, UpstreamOptions>>;
  readonly https?: GatewayHttpsOptions;
  readonly authenticator: GatewayAuthenticator;
  readonly kv: KeyValueStore;
  /** Namespace for rate-limit keys (replicas of one deployment share it). */
  readonly kvPrefix?: string;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly limits?: Partial<GatewayLimits>;
  /** Port of the internal loopback metrics listener; none when absent (0 = ephemeral). */
  readonly metricsPort?: number;
  /**
   * Addresses of front doors (e.g. nginx) whose `X-Forwarded-For` names the client for
   * per-address limits and audit; from anyone else the header is ignored. Default none.
   */
  readonly trustedProxies?: readonly string[];
}

export interface GatewayService {
  readonly app: FastifyInstance;
  readonly metrics: GatewayMetrics;
  /** Address of the metrics listener, when `metricsPort` was given. */
  readonly metricsAddress: AddressInfo | undefined;
  close(): Promise<void>;
}

export async function createGatewayService(
  options: GatewayServiceOptions,
): Promise<GatewayService> {
  const limits: GatewayLimits = { ...gatewayDefaults, ...options.limits };
  const trustedProxies: ReadonlySet<string> = new Set(
    (options.trustedProxies ?? []).map(canonicalAddress),
  );
  const external = new URL(options.externalUrl);
  if (external.pathname !== '/' || external.search !== '' || external.hash !== '') {
    throw new TypeError('externalUrl must be an origin');
  }
  const routes = options.routes ?? defaultRoutes();
  const upstreams = new Map<string, Upstream>();
  for (const route of routes) {
    const config = options.upstreams[route.upstream];
    if (config === undefined) throw new TypeError(`route ${route.name}: unknown upstream`);
    if (!upstreams.has(route.upstream)) {
      upstreams.set(
        route.upstream,
        createUpstream(route.upstream, config, {
          connectTimeoutMs: limits.upstreamConnectTimeoutMs,
          headersTimeoutMs: limits.upstreamHeadersTimeoutMs,
          bodyTimeoutMs: limits.upstreamBodyTimeoutMs,
          connections: limits.upstreamConnections,
        }),
      );
    }
  }
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node enforces headersTimeout/requestTimeout on this sweep (default every 30 s).
    connectionsCheckingInterval: Math.max(250, Math.min(1_000, limits.headersTimeoutMs)),
  };
  const { logger, audit, ids, clock } = options;
  const metrics = createMetrics();
  const app = fastify({
    ...(options.https === undefined
      ? { http: serverOptions }
      : {
          https: {
            ...serverOptions,
            ...options.https,
            minVersion: gatewayDefaults.tlsMinVersion,
            ciphers: gatewayDefaults.tlsCiphers,
            honorCipherOrder: true,
          },
        }),
    logger: false,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    return503OnClosing: true,
    clientErrorHandler: createClientErrorHandler({ audit, logger, ids }),
    frameworkErrors: (error, request, reply) => {
      if (getContext(request) === undefined) {
        setContext(request, createContext(request, ids, trustedProxies));
      }
      sendError({ audit, logger }, error, request, reply);
    },
  }) as unknown as FastifyInstance;
  (app.server as Server).headersTimeout = limits.headersTimeoutMs;

  const deps = {
    routes,
    allowedHosts: options.allowedHosts ?? [external.hostname.toLowerCase()],
    kv: options.kv,
    kvPrefix: options.kvPrefix ?? '',
    authenticator: options.authenticator,
    ids,
    headerLimits: limits,
    perAddress: limits.perAddress,
    perClient: limits.perClient,
    perTenant: limits.perTenant,
    failModeAuthenticated: limits.rateLimitFailModeAuthenticated,
    failModePublic: limits.rateLimitFailModePublic,
  };
  const hsts = `max-age=${limits.hstsMaxAgeSeconds}; includeSubDomains`;

  // Bodies are never parsed: the proxy streams them (body caps enforced while streaming).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.addHook('onRequest', async (request, reply) => {
    // Set first: the access log's duration covers the whole pipeline (one hook, not two).
    (request as unknown as { startedAt: number }).startedAt = clock.now();
    const ctx = createContext(request, ids, trustedProxies);
    setContext(request, ctx);
    void reply.header('x-correlation-id', ctx.correlationId);
    if (options.https !== undefined) void reply.header('strict-transport-security', hsts);
    if ((request.routeOptions.config as { pipeline?: boolean }).pipeline === false) return;
    await runPipeline(request, ctx, deps);
  });
  app.addHook('onResponse', async (request, reply) => {
    const ctx = getContext(request);
    const route = ctx?.route?.name ?? 'none';
    const durationMs = Math.max(
      0,
      clock.now() - (request as unknown as { startedAt: number }).startedAt,
    );
    metrics.observe(route, reply.statusCode, durationMs);
    logger.info(
      {
        correlationId: ctx?.correlationId,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs,
        address: ctx?.address,
        clientId: ctx?.principal?.clientId,
        tenant: ctx?.principal?.tenant,
      },
      'access',
    );
  });
  app.setErrorHandler((error, request, reply) => {
    const code = (error as { code?: unknown }).code;
    metrics.refused(typeof code === 'string' ? code : 'server_error');
    return sendError({ audit, logger }, error, request, reply);
  });
  // Methods outside HTTP_METHODS reach fastify's 404 handler; the pipeline already refused them
  // (404/405) in onRequest, so this only answers if that ever changes: still a coded 404.
  app.setNotFoundHandler(() => {
    throw gatewayError('not_found', { detail: 'framework-404' });
  });

  app.get('/healthz', { config: { pipeline: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { pipeline: false } }, async (_request, reply) => {
    const checks = await Promise.all([
      options.authenticator.ready(),
      ...[...upstreams.values()].map((u) => probeUpstream(u, limits.readinessProbeTimeoutMs)),
    ]);
    // No internals in the body: which check failed goes to the log only.
    if (checks.every(Boolean)) return { status: 'ready' };
    logger.warn({ checks }, 'not ready');
    return reply.code(503).send({ status: 'not_ready' });
  });
  app.route({
    method: [...HTTP_METHODS],
    url: '/*',
    handler: createProxyHandler({
      upstreams,
      authenticator: options.authenticator,
      retries: limits.upstreamRetries,
    }),
  });

  let metricsServer: Server | undefined;
  let metricsAddress: AddressInfo | undefined;
  if (options.metricsPort !== undefined) {
    const listening = await listenMetrics(
      metrics,
      gatewayDefaults.metricsHost,
      options.metricsPort,
    );
    metricsServer = listening.server;
    metricsAddress = listening.address;
  }
  await app.ready();
  return {
    app,
    metrics,
    metricsAddress,
    async close() {
      await app.close();
      await Promise.all([...upstreams.values()].map((u) => u.pool.close()));
      if (metricsServer !== undefined) {
        await new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
      }
    },
  };
}
