import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { authPlugin } from '@stella/auth';
import type { AuthDeniedEvent, NonceIssuer, RequestVerifier } from '@stella/auth';
import { toErrorBody } from '@stella/core';
import { installRequestCorrelation } from '@stella/runtime';
import type { AuditSink, Clock, IdGenerator, KeyValueStore, Logger } from '@stella/core';
import type { EvidenceReader, OciManifestFetcher } from './artifact-fetch.ts';
import type { AttestorClient } from './attestor-client.ts';
import { signerDefaults } from './defaults.ts';
import { signerError } from './errors.ts';
import { deniedEvent } from './sign-audit.ts';
import type { SignerKeySource } from './key-ring.ts';
import { registerKeysRoute } from './keys-route.ts';
import type { QuotaLimits } from './quota.ts';
import { registerSignRoute } from './sign-route.ts';
import type { SignDeps } from './sign-steps.ts';

/** mTLS listener material (service contract): PEM strings or Buffers. */
export interface SignerHttpsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer;
  readonly requestCert: true;
  readonly rejectUnauthorized: boolean;
}

/** Dependencies arrive already built; plain config is turned into these by `compose.ts`. */
export interface SignerServiceOptions {
  readonly https?: SignerHttpsOptions;
  /**
   * `@stella/auth` request verifier for audience `signer`, normally behind-the-gateway mode
   * (gateway mTLS identity + `X-StellaOps-Identity` + the access token with its binding).
   */
  readonly verifier: RequestVerifier;
  /** Issues `DPoP-Nonce` values (required: the signer demands nonces, PLATFORM.md §3). */
  readonly nonceIssuer?: NonceIssuer;
  readonly kv: KeyValueStore;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly keys: SignerKeySource;
  readonly evidence: EvidenceReader;
  readonly registries: OciManifestFetcher;
  /** Required when any request may ask for `attest: true` (the default). */
  readonly attestor?: AttestorClient;
  readonly allowedPredicateTypes?: readonly string[];
  readonly quotas?: {
    readonly defaults?: Partial<QuotaLimits>;
    readonly tenants?: Readonly<Record<string, Partial<QuotaLimits>>>;
    readonly leaseMs?: number;
  };
  readonly bodyLimitBytes?: number;
  readonly maxSubjects?: number;
  readonly maxInlineBytes?: number;
  readonly maxEvidenceBytes?: number;
  readonly maxManifestBytes?: number;
}

export interface SignerService {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const AUTHORIZE_CODES = new Set(['insufficient_scope', 'tenant_required', 'tenant_mismatch']);

/** Gates 1–2 refusals (from the auth plugin), audited like every other gate. */
async function auditAuthDenial(audit: AuditSink, event: AuthDeniedEvent): Promise<void> {
  try {
    await audit.append(
      deniedEvent(
        { correlationId: event.correlationId },
        AUTHORIZE_CODES.has(event.code) ? 'authorize' : 'authenticate',
        { code: event.code, status: event.status },
        event.request.ip,
      ),
    );
  } catch (error) {
    event.request.log.error({ err: String(error) }, 'audit append failed');
  }
}

export async function createSignerService(options: SignerServiceOptions): Promise<SignerService> {
  const d = signerDefaults;
  const deps: SignDeps = {
    kv: options.kv,
    quota: {
      defaults: { ...d.quotas, ...options.quotas?.defaults },
      tenants: options.quotas?.tenants ?? {},
      leaseMs: options.quotas?.leaseMs ?? d.quotaLeaseMs,
    },
    keys: options.keys,
    artifacts: {
      evidence: options.evidence,
      registries: options.registries,
      limits: {
        maxInlineBytes: options.maxInlineBytes ?? d.maxInlineBytes,
        maxEvidenceBytes: options.maxEvidenceBytes ?? d.maxEvidenceBytes,
        maxManifestBytes: options.maxManifestBytes ?? d.maxManifestBytes,
      },
    },
    attestor: options.attestor,
    audit: options.audit,
    clock: options.clock,
    ids: options.ids,
    allowedPredicateTypes: new Set(options.allowedPredicateTypes ?? d.allowedPredicateTypes),
    maxSubjects: options.maxSubjects ?? d.maxSubjects,
  };
  // Fail closed at start: a signer with no key valid now would refuse every request anyway.
  await options.keys.current();

  const app = fastify({
    ...(options.https === undefined ? {} : { https: { ...options.https } }),
    bodyLimit: options.bodyLimitBytes ?? d.bodyLimitBytes,
    logger: false,
    return503OnClosing: true,
  });
  installRequestCorrelation(app, {
    ids: options.ids,
    logger: options.logger,
    actor: (request) => ({
      tenant: request.principal?.tenant,
      clientId: request.principal?.clientId,
    }),
  });
  app.decorateRequest('signContext', null);
  // The body is kept as bytes: the sign pipeline parses it with core's strict JSON parser so
  // duplicate keys and invalid UTF-8 are refused (and audited) inside the ordered gates.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });
  await app.register(authPlugin, {
    verifier: options.verifier,
    ...(options.nonceIssuer === undefined ? {} : { nonceIssuer: options.nonceIssuer }),
    correlationId: (request) => request.correlationId,
    onDenied: (event) => auditAuthDenial(options.audit, event),
  });
  registerSignRoute(app, deps);
  registerKeysRoute(app, options.keys);
  // Liveness for the gateway's /readyz and `stella doctor`; the listener itself admits only
  // platform-CA client certificates, so this answers nothing but "the process serves".
  app.get('/healthz', { config: { auth: 'public' } }, async () => ({ status: 'ok' }));
  app.setNotFoundHandler(async (request, reply) => {
    const { status, body } = toErrorBody(signerError('not_found'), request.correlationId);
    return reply.code(status).send(body);
  });
  app.setErrorHandler(async (error, request, reply) => {
    options.logger.error({ err: String(error), correlationId: request.correlationId }, 'error');
    const { status, body } = toErrorBody(error, request.correlationId);
    return reply.code(status).send(body);
  });
  await app.ready();
  return {
    app,
    close: () => app.close(),
  };
}
