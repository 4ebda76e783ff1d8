import { Agent } from 'undici';
import type { RequestVerifier, NonceIssuer } from '@stella/auth';
import type { AuditSink, Clock, IdGenerator, KeyValueStore, Logger } from '@stella/core';
import type { SecretResolver } from '@stella/runtime';
import { createHttpAttestorClient } from './attestor-client.ts';
import { assertSignerConfig } from './config-schema.ts';
import type { SignerConfig } from './config-schema.ts';
import { signerDefaults } from './defaults.ts';
import { createHttpEvidenceReader } from './evidence-reader.ts';
import { createKeyStateSource } from './key-state-source.ts';
import { createOciManifestFetcher } from './oci-registry.ts';
import type { RegistryAllowEntry } from './oci-registry.ts';
import { createSignerService } from './service.ts';
import type { SignerHttpsOptions, SignerService } from './service.ts';
import { createAuthorityTokenSource } from './token-source.ts';

/** Shared adapters `stella up` builds once and hands to every service. */
export interface SignerPlatformDeps {
  readonly kv: KeyValueStore;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly secrets: SecretResolver;
  /** `@stella/auth` verifier for audience `signer` (behind-the-gateway mode). */
  readonly verifier: RequestVerifier;
  readonly nonceIssuer?: NonceIssuer;
  /** The signer's mTLS listener (service contract). */
  readonly https?: SignerHttpsOptions;
}

/**
 * Composition root: turns the validated signer config into adapters (mTLS agent with the signer's
 * `svc/signer` identity, Authority token source, evidence reader, registry fetcher, attestor
 * client, file-backed key history) and builds the service.
 */
export async function composeSigner(
  config: SignerConfig,
  deps: SignerPlatformDeps,
): Promise<SignerService> {
  assertSignerConfig(config);
  const text = async (ref: string) => (await deps.secrets.resolveSecret(ref)).revealText();
  const agent = new Agent({
    connect: {
      key: await text(config.tls.key),
      cert: await text(config.tls.cert),
      ca: await text(config.tls.ca),
    },
  });
  const timeoutMs = config.outboundTimeoutMs ?? signerDefaults.outboundTimeoutMs;
  const tokens = createAuthorityTokenSource({
    tokenUrl: config.authorityTokenUrl,
    clientId: 'signer',
    dispatcher: agent,
    clock: deps.clock,
    refreshBeforeMs: signerDefaults.tokenRefreshBeforeMs,
    timeoutMs,
  });
  const keys = await createKeyStateSource({
    statePath: config.keyStatePath,
    resolveSecret: async (ref) => (await deps.secrets.resolveSecret(ref)).reveal(),
    clock: deps.clock,
    logger: deps.logger,
    reloadIntervalMs: config.keyReloadIntervalMs ?? signerDefaults.keyReloadIntervalMs,
  });
  const registries: RegistryAllowEntry[] = (config.registries ?? []).map((r) => ({
    host: r.host,
    scheme: r.scheme === 'http' ? 'http' : 'https',
    trustedHosts: r.trustedHosts ?? [],
  }));
  const service = await createSignerService({
    ...(deps.https === undefined ? {} : { https: deps.https }),
    verifier: deps.verifier,
    ...(deps.nonceIssuer === undefined ? {} : { nonceIssuer: deps.nonceIssuer }),
    kv: deps.kv,
    audit: deps.audit,
    logger: deps.logger,
    clock: deps.clock,
    ids: deps.ids,
    keys,
    evidence: createHttpEvidenceReader({
      attestorUrl: config.attestorUrl,
      dispatcher: agent,
      tokens,
      timeoutMs,
    }),
    registries: createOciManifestFetcher({
      registries,
      timeoutMs,
      maxRedirects: signerDefaults.maxRegistryRedirects,
    }),
    attestor: createHttpAttestorClient({
      attestorUrl: config.attestorUrl,
      dispatcher: agent,
      tokens,
      timeoutMs,
    }),
    ...(config.allowedPredicateTypes === undefined
      ? {}
      : { allowedPredicateTypes: config.allowedPredicateTypes }),
    quotas: {
      defaults: { ...config.quotas?.defaults },
      tenants: { ...config.quotas?.tenants },
    },
    ...(config.maxSubjects === undefined ? {} : { maxSubjects: config.maxSubjects }),
    ...(config.maxInlineBytes === undefined ? {} : { maxInlineBytes: config.maxInlineBytes }),
    ...(config.maxEvidenceBytes === undefined ? {} : { maxEvidenceBytes: config.maxEvidenceBytes }),
    ...(config.maxManifestBytes === undefined ? {} : { maxManifestBytes: config.maxManifestBytes }),
    ...(config.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: config.bodyLimitBytes }),
  });
  return {
    app: service.app,
    close: async () => {
      await service.close();
      await agent.close();
    },
  };
}
