/**
 * `createAttestorService` (service contract): dependencies arrive built; this wires the peer gate,
 * `@stella/auth` (behind-the-gateway for forwarded clients, direct mTLS-bound tokens for the
 * signer), the evidence store, the sequencer and every route, and audits each write and denial.
 */
import type { KeyObject } from 'node:crypto';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { authPlugin, createReplayCache, createRequestVerifier } from '@stella/auth';
import type {
  AccessTokenVerifier,
  AuthDeniedEvent,
  NonceIssuer,
  VerificationKey,
} from '@stella/auth';
import { toErrorBody } from '@stella/core';
import { installRequestCorrelation } from '@stella/runtime';
import type {
  AuditSink,
  Clock,
  IdGenerator,
  KeyValueStore,
  Logger,
  ObjectStore,
  SqlDatabase,
} from '@stella/core';
import { attestorDefaults } from './defaults.ts';
import type { AttestorOptions } from './defaults.ts';
import { attestorError } from './errors.ts';
import { createEvidenceStore } from './evidence/evidence-store.ts';
import { callerOf, createPeerRoutedVerifier, peerCertificateOf } from './peer-routing.ts';
import { registerEntryRoutes } from './routes/entry-routes.ts';
import { registerEvidenceRoutes } from './routes/evidence-routes.ts';
import { audit } from './routes/http-support.ts';
import { registerLogRoutes } from './routes/log-routes.ts';
import { registerVerifyRoute } from './routes/verify-route.ts';
import type { SignerKeySource } from './submission/signer-keys.ts';
import { createLogReader } from './tlog/log-reader.ts';
import { createLogSigner } from './tlog/log-signer.ts';
import { createSequencer } from './tlog/sequencer.ts';

/** mTLS listener material (service contract): PEM strings or Buffers. */
export interface AttestorHttpsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer;
  readonly requestCert: true;
  readonly rejectUnauthorized: boolean;
}

export interface AttestorServiceOptions extends Partial<AttestorOptions> {
  readonly https?: AttestorHttpsOptions;
  /** SPIFFE trust domain; default identities are `spiffe://<td>/svc/gateway` and `/svc/signer`. */
  readonly trustDomain: string;
  readonly gatewayIdentities?: readonly string[];
  /** Peers allowed to submit entries (the signer); direct mTLS-bound tokens only. */
  readonly signerIdentities?: readonly string[];
  /** Gateway identity-envelope verification keys by kid (`X-StellaOps-Identity`). */
  readonly envelopeKeys: ReadonlyMap<string, VerificationKey>;
  /** Access-token verifier for audience `attestor` (JWKS from the Authority). */
  readonly accessTokens: AccessTokenVerifier;
  /** Configured external base URL of the gateway (DPoP `htu` of forwarded requests). */
  readonly externalUrl: string;
  readonly kv: KeyValueStore;
  readonly nonceIssuer?: NonceIssuer;
  readonly db: SqlDatabase;
  readonly objects: ObjectStore;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The platform's Ed25519 checkpoint key. */
  readonly logPrivateKey: KeyObject;
  readonly signerKeys: SignerKeySource;
}

export interface AttestorService {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const AUDIENCE = 'attestor';

export async function createAttestorService(
  options: AttestorServiceOptions,
): Promise<AttestorService> {
  const o = { ...attestorDefaults, ...options };
  const allow = {
    gateway: options.gatewayIdentities ?? [`spiffe://${options.trustDomain}/svc/gateway`],
    signer: options.signerIdentities ?? [`spiffe://${options.trustDomain}/svc/signer`],
  };
  const common = {
    audience: AUDIENCE,
    externalUrl: options.externalUrl,
    accessTokens: options.accessTokens,
    replayCache: createReplayCache(options.kv, { prefix: 'attestor:dpop:', windowMs: 600_000 }),
    ...(options.nonceIssuer === undefined ? {} : { nonceIssuer: options.nonceIssuer }),
    requireNonce: false,
    clock: options.clock,
  };
  const verifier = createPeerRoutedVerifier({
    allow,
    gateway: createRequestVerifier({
      ...common,
      mode: 'behind-gateway',
      gateway: { identities: allow.gateway, envelopeKeys: options.envelopeKeys },
    }),
    direct: createRequestVerifier({ ...common, mode: 'direct' }),
  });
  const signer = createLogSigner({ logPrefix: o.logPrefix, privateKey: options.logPrivateKey });
  const sequencer = createSequencer({
    db: options.db,
    clock: options.clock,
    ids: options.ids,
    signer,
    maxBatch: o.maxBatch,
    batchDelayMs: o.batchDelayMs,
  });
  const log = createLogReader({ db: options.db, signer });
  const evidence = createEvidenceStore({
    db: options.db,
    objects: options.objects,
    now: () => new Date(options.clock.now()),
  });
  const sink = { audit: options.audit, logger: options.logger };

  const app = fastify({
    ...(options.https === undefined ? {} : { https: { ...options.https } }),
    logger: false,
    return503OnClosing: true,
    bodyLimit: o.maxEnvelopeBytes + 1024,
  });
  installRequestCorrelation(app, {
    ids: options.ids,
    logger: options.logger,
    actor: (request) => ({
      tenant: request.principal?.tenant,
      clientId: request.principal?.clientId,
    }),
  });
  // Peer gate before any token is parsed: the submission route is the signer's alone.
  app.addHook('onRequest', async (request, reply) => {
    const callers = request.routeOptions.config.callers;
    if (request.is404 || callers === undefined) return undefined;
    const caller = callerOf(peerCertificateOf(request), allow);
    if (caller !== undefined && callers.includes(caller)) return undefined;
    const { status, body } = toErrorBody(attestorError('peer_not_allowed'), request.correlationId);
    await audit(options.audit, options.logger, request, {
      type: 'attestor.request.denied',
      outcome: 'failure',
      reason: 'peer_not_allowed',
      properties: { route: request.routeOptions.url ?? '', caller: caller ?? null },
    });
    return reply.code(status).send(body);
  });
  await app.register(authPlugin, {
    verifier,
    correlationId: (request) => request.correlationId,
    onDenied: (event: AuthDeniedEvent) =>
      audit(options.audit, options.logger, event.request, {
        type: 'attestor.request.denied',
        outcome: 'failure',
        reason: event.code,
        properties: { route: event.route, status: event.status },
      }),
  });
  registerEvidenceRoutes(app, { evidence, maxEvidenceBytes: o.maxEvidenceBytes, ...sink });
  registerEntryRoutes(app, {
    keys: options.signerKeys,
    clock: options.clock,
    maxEnvelopeBytes: o.maxEnvelopeBytes,
    evidence,
    sequencer,
    log,
    pageSize: o.pageSize,
    ...sink,
  });
  registerLogRoutes(app, { log, signer });
  // Liveness for the gateway's /readyz and `stella doctor`; no caller restriction, no data.
  app.get('/healthz', { config: { auth: 'public' } }, async () => ({ status: 'ok' }));
  registerVerifyRoute(app, {
    log,
    signer,
    keys: options.signerKeys,
    pageSize: o.pageSize,
    maxEnvelopeBytes: o.maxEnvelopeBytes,
    ...sink,
  });
  app.setNotFoundHandler(async (request, reply) => {
    const { status, body } = toErrorBody(attestorError('not_found'), request.correlationId);
    return reply.code(status).send(body);
  });
  app.setErrorHandler(async (error, request, reply) => {
    // Fastify's own refusals (body too large, bad content type) keep a stable platform code.
    const fastifyCode = (error as { code?: unknown }).code;
    const mapped =
      fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? attestorError('payload_too_large')
        : typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_ERR_CTP')
          ? attestorError('invalid_request', { detail: fastifyCode })
          : error;
    const { status, body } = toErrorBody(mapped, request.correlationId);
    if (status >= 500) {
      options.logger.error({ err: String(error), correlationId: request.correlationId }, 'error');
    }
    return reply.code(status).send(body);
  });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await sequencer.close();
    },
  };
}
