/**
 * Composition root: turns plain attestor config (secret references, URLs, directories) into the
 * adapters `createAttestorService` takes. `stella up` builds the shared pieces once (database,
 * KV, audit sink, logger, access-token verifier, gateway envelope keys) and passes them in.
 */
import { Agent } from 'undici';
import type { AccessTokenVerifier, NonceIssuer, VerificationKey } from '@stella/auth';
import type {
  AuditSink,
  Clock,
  IdGenerator,
  KeyValueStore,
  Logger,
  ObjectStore,
  SqlDatabase,
} from '@stella/core';
import { importPrivateKey } from '@stella/crypto';
import type { SecretResolver } from '@stella/runtime';
import type { AttestorOptions } from './defaults.ts';
import { createAttestorService } from './service.ts';
import type { AttestorHttpsOptions, AttestorService } from './service.ts';
import { createHttpSignerKeySource } from './submission/signer-keys.ts';

export interface AttestorConfig extends Partial<AttestorOptions> {
  readonly trustDomain: string;
  /** Gateway external base URL (DPoP `htu` of forwarded requests). */
  readonly externalUrl: string;
  /** Secret reference of the platform's Ed25519 checkpoint key (PEM or PKCS#8). */
  readonly logKey: string;
  /** The signer's key set, e.g. `https://127.0.0.1:9441/api/v1/signer/keys`. */
  readonly signerKeysUrl: string;
  /** Secret references of the attestor's own mTLS identity (`svc/attestor`) and the platform CA. */
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
  /** Key-set cache lifetime and unknown-keyid refresh throttle (milliseconds). */
  readonly signerKeysMaxAgeMs?: number;
  readonly signerKeysMinRefreshMs?: number;
}

export interface AttestorPlatformDeps {
  readonly db: SqlDatabase;
  readonly objects: ObjectStore;
  readonly kv: KeyValueStore;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly secrets: SecretResolver;
  readonly accessTokens: AccessTokenVerifier;
  readonly envelopeKeys: ReadonlyMap<string, VerificationKey>;
  readonly nonceIssuer?: NonceIssuer;
  readonly https?: AttestorHttpsOptions;
}

export async function composeAttestor(
  config: AttestorConfig,
  deps: AttestorPlatformDeps,
): Promise<AttestorService> {
  const text = async (ref: string) => (await deps.secrets.resolveSecret(ref)).revealText();
  const agent = new Agent({
    connect: {
      key: await text(config.tls.key),
      cert: await text(config.tls.cert),
      ca: await text(config.tls.ca),
    },
  });
  const logPrivateKey = importPrivateKey(
    (await deps.secrets.resolveSecret(config.logKey)).reveal(),
  );
  const { tls: _tls, logKey: _logKey, signerKeysUrl, ...options } = config;
  const service = await createAttestorService({
    ...options,
    ...(deps.https === undefined ? {} : { https: deps.https }),
    ...(deps.nonceIssuer === undefined ? {} : { nonceIssuer: deps.nonceIssuer }),
    envelopeKeys: deps.envelopeKeys,
    accessTokens: deps.accessTokens,
    kv: deps.kv,
    db: deps.db,
    objects: deps.objects,
    audit: deps.audit,
    logger: deps.logger,
    clock: deps.clock,
    ids: deps.ids,
    logPrivateKey,
    signerKeys: createHttpSignerKeySource({
      url: signerKeysUrl,
      dispatcher: agent,
      clock: deps.clock,
      maxAgeMs: config.signerKeysMaxAgeMs ?? 60_000,
      minRefreshIntervalMs: config.signerKeysMinRefreshMs ?? 5_000,
      timeoutMs: 5_000,
    }),
  });
  return {
    app: service.app,
    async close() {
      await service.close();
      await agent.close();
    },
  };
}
