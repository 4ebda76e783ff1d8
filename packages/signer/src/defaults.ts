import type { QuotaLimits } from './quota.ts';

/**
 * Every signer option with its default (service contract: documented where defined, with its
 * unit). Security-relevant defaults fail closed: the registry allow-list is empty (no OCI source
 * is reachable until an operator lists one) and only three well-known predicate types are signed.
 */
export const signerDefaults = Object.freeze({
  /** The audience (RFC 9068 `aud`) access tokens must carry to reach the signer. */
  audience: 'signer',
  /** The scope required by `POST /api/v1/signer/sign/dsse` (PLATFORM.md §2 catalogue). */
  signScope: 'signer:sign',
  /** Predicate types (in-toto `predicateType`, exact string match) this signer will sign. */
  allowedPredicateTypes: Object.freeze([
    'https://slsa.dev/provenance/v1',
    'https://cyclonedx.org/bom',
    'https://spdx.dev/Document',
  ]) as readonly string[],
  /** Hard cap on the request body in bytes (fastify `bodyLimit`): larger bodies get 413. */
  bodyLimitBytes: 16 * 1024 * 1024,
  /** Maximum subjects per request. */
  maxSubjects: 64,
  /** Maximum decoded bytes of one inline `content` subject (above: 422 artifact_unavailable). */
  maxInlineBytes: 4 * 1024 * 1024,
  /** Maximum bytes of one evidence object read for verification. */
  maxEvidenceBytes: 64 * 1024 * 1024,
  /** Maximum bytes of one OCI manifest (distribution-spec recommends servers accept ≥ 4 MiB). */
  maxManifestBytes: 4 * 1024 * 1024,
  /** Default per-tenant quotas; override per tenant with `quotas.tenants`. */
  quotas: Object.freeze({
    /** Sign requests per tenant per one-minute window. */
    requestsPerMinute: 600,
    /** Request body bytes per request (≤ bodyLimitBytes to be meaningful). */
    maxRequestBytes: 8 * 1024 * 1024,
    /** Concurrent signings per tenant across all replicas. */
    maxConcurrent: 64,
  }) satisfies QuotaLimits,
  /** Lease on a concurrency slot in ms (frees slots of crashed replicas). */
  quotaLeaseMs: 120_000,
  /** Timeout for each outbound HTTP exchange (headers and body) in ms. */
  outboundTimeoutMs: 10_000,
  /** Redirects followed when fetching a manifest, each re-checked against the allow-list. */
  maxRegistryRedirects: 3,
  /** Renew the signer's own access tokens this many ms before they expire. */
  tokenRefreshBeforeMs: 30_000,
  /** How often (ms) the key state file is checked for a rotation. */
  keyReloadIntervalMs: 5_000,
});
