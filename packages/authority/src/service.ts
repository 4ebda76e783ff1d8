/**
 * `createAuthorityService` (svc-contract): takes its dependencies already built — SQL database,
 * KV store, audit sink, logger, clock, id generator, the initial signing key and the nonce HMAC
 * secret — and returns a ready-to-listen fastify app plus a programmatic admin surface for the
 * composition root (e.g. `stella up` bootstrapping the admin client).
 */
import type { KeyObject } from 'node:crypto';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type {
  AuditSink,
  Clock,
  IdGenerator,
  KeyValueStore,
  Logger,
  SqlDatabase,
} from '@stella/core';
import { createKeyCache, createNonceIssuer, createReplayCache } from '@stella/auth';
import type { AuthorityConfig } from './defaults.ts';
import { resolveAuthorityConfig } from './defaults.ts';
import { createClientRegistry, validateNewClient } from './client-registry.ts';
import type { NewClient } from './client-registry.ts';
import { createCachedClientRegistry } from './client-cache.ts';
import { createClientAuthenticator } from './client-auth/authenticate-client.ts';
import { createPrivateKeyJwtVerifier } from './client-auth/private-key-jwt.ts';
import { installHttpSupport } from './http-support.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createRevocationStore } from './revocation-store.ts';
import { createSigningKeyStore, resolveFileKeyRef } from './signing-keys.ts';
import { createLocalTokenVerifier } from './token/local-token-verifier.ts';
import { createTokenSteps } from './token/token-steps.ts';
import { registerDiscoveryRoutes } from './routes/discovery-routes.ts';
import { registerTokenRoute } from './routes/token-route.ts';
import { registerIntrospectRevokeRoutes } from './routes/introspect-revoke-routes.ts';
import { registerRevocationsRoute } from './routes/revocations-route.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerAuditRoute } from './routes/audit-route.ts';

export interface AuthorityHttpsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly requestCert: true;
  /** false lets `tls_client_auth` clients chain to per-client trust roots (checked in-app). */
  readonly rejectUnauthorized: boolean;
}

export interface AuthorityServiceOptions {
  readonly config?: Partial<AuthorityConfig>;
  readonly db: SqlDatabase;
  readonly kv: KeyValueStore;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The initial access-token signing key (P-256 or Ed25519), already resolved from its ref. */
  readonly signingKey: KeyObject;
  /** The secret reference `signingKey` came from (recorded in key metadata, never the key). */
  readonly signingKeyRef: string;
  /** ≥ 32-byte HMAC secret for stateless DPoP nonces, shared by all replicas. */
  readonly nonceSecret: Uint8Array;
  /** Where `keys rotate` writes new 0600 PEM keys; rotation refuses when absent. */
  readonly keyDirectory?: string;
  /** Resolves key `secret_ref`s (default: `file:` only). */
  readonly resolveKeyRef?: (ref: string) => Promise<KeyObject>;
  readonly https?: AuthorityHttpsOptions;
}

export interface AuthorityService {
  readonly app: FastifyInstance;
  readonly config: AuthorityConfig;
  readonly admin: {
    addTenant(id: string): Promise<void>;
    addClient(client: NewClient): Promise<void>;
    disableClient(id: string): Promise<boolean>;
    disableTenant(id: string): Promise<boolean>;
    rotateKey(): Promise<string>;
  };
  close(): Promise<void>;
}

export async function createAuthorityService(
  options: AuthorityServiceOptions,
): Promise<AuthorityService> {
  const config = resolveAuthorityConfig(options.config);
  const { db, kv, audit, logger, clock, ids } = options;

  const keys = createSigningKeyStore({
    db,
    clock,
    retireGraceSeconds: config.accessTokenLifetimeSeconds + config.clockSkewSeconds,
    refreshMs: config.keyRefreshMs,
    keyDirectory: options.keyDirectory,
    resolveKeyRef: options.resolveKeyRef ?? resolveFileKeyRef,
  });
  await keys.ensureInitialKey(options.signingKey, options.signingKeyRef);

  // Token requests read clients and tenants from a per-replica cache (bounded staleness,
  // invalidated on this replica by every admin write); introspection reads revocations live.
  const clients = createCachedClientRegistry(createClientRegistry(db), {
    clock,
    ttlMs: config.clientCacheMs,
  });
  const rateLimit = createRateLimiter(kv);
  const nonces = createNonceIssuer({ secret: options.nonceSecret, clock });
  const replay = createReplayCache(kv, {
    prefix: 'authority:dpop-jti:',
    // RFC 9449 §11.1: remember a pair at least as long as its iat stays acceptable (±window).
    windowMs: 2 * config.dpopIatWindowSeconds * 1000,
  });
  const authenticateClient = createClientAuthenticator({
    clients,
    clock,
    verifyAssertion: createPrivateKeyJwtVerifier({
      issuer: config.issuer,
      clock,
      kv,
      maxAssertionLifetimeSeconds: config.maxAssertionLifetimeSeconds,
      clockSkewSeconds: config.clockSkewSeconds,
    }),
  });
  const verifier = createLocalTokenVerifier({
    issuer: config.issuer,
    audiences: config.audiences,
    keys,
    clock,
    skewSeconds: config.clockSkewSeconds,
  });
  const revocations = createRevocationStore(db, clock);

  const app = fastify({
    ...(options.https === undefined ? {} : { https: { ...options.https } as never }),
    logger: false,
    bodyLimit: config.maxFormBytes,
    trustProxy: false,
    return503OnClosing: true,
  });
  installHttpSupport(app, { ids, logger, maxFormBytes: config.maxFormBytes });
  registerDiscoveryRoutes(app, config, keys);
  // Liveness for the gateway's /readyz and `stella doctor` (the listener admits only clients the
  // TLS layer accepted; this says nothing but "the process serves").
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerTokenRoute(app, {
    config,
    audit,
    logger,
    nonces,
    rateLimit,
    steps: createTokenSteps({
      config,
      clock,
      ids,
      clients,
      authenticateClient,
      rateLimit,
      nonces,
      replay,
      keys,
      audit,
      tokenEndpoint: `${config.issuer}/token`,
      dpopKeyCache: createKeyCache(),
    }),
  });
  registerIntrospectRevokeRoutes(app, {
    config,
    authenticateClient,
    verifier,
    revocations,
    rateLimit,
    audit,
  });
  registerRevocationsRoute(app, config, revocations, keys);
  const admin = registerAdminRoutes(app, {
    config,
    clock,
    clients,
    keys,
    verifier,
    rateLimit,
    audit,
  });
  // Reads the chain the audit sink writes into `db` (compose gives both the same database).
  registerAuditRoute(app, { db, keys, admin });
  await app.ready();

  const now = () => new Date(clock.now());
  const platformEvent = (type: string, properties: Record<string, string>) =>
    audit.append({
      type,
      correlationId: ids.uuid(),
      outcome: 'success',
      tenant: '_platform',
      actor: { subject: 'composition-root' },
      properties,
    });
  return {
    app,
    config,
    admin: {
      async addTenant(id) {
        await clients.addTenant(id, now());
        await platformEvent('authority.tenant.added', { tenant: id });
      },
      async addClient(client) {
        validateNewClient(client, config.audiences);
        await clients.addClient(client, now());
        await platformEvent('authority.client.added', { client: client.id });
      },
      async disableClient(id) {
        const changed = await clients.disableClient(id, now());
        if (changed) await platformEvent('authority.client.disabled', { client: id });
        return changed;
      },
      async disableTenant(id) {
        const changed = await clients.disableTenant(id, now());
        if (changed) await platformEvent('authority.tenant.disabled', { tenant: id });
        return changed;
      },
      async rotateKey() {
        const kid = await keys.rotate();
        await platformEvent('authority.key.rotated', { kid });
        return kid;
      },
    },
    async close() {
      await app.close(); // in-flight requests finish; each awaited its audit commit already
    },
  };
}
