import { s } from '@stella/core';
import type { Infer } from '@stella/core';
import { signerDefaults as d } from './defaults.ts';

const HOST = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$/;
const LOOPBACK = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?$/;

const quota = s.object({
  requestsPerMinute: s.optional(s.integer({ min: 1 })),
  maxRequestBytes: s.optional(s.integer({ min: 1 })),
  maxConcurrent: s.optional(s.integer({ min: 1, max: 10_000 })),
});

/**
 * The signer's section of the platform config (closed: unknown keys refuse to start). Secrets
 * appear only as references (`file:`, `env:`, `vault:` …).
 */
export const signerConfigSchema = s.object({
  /** Listener `host:port` is owned by `stella up`; this is the signer's own part. */
  trustDomain: s.string({ pattern: /^[a-z0-9._-]+$/ }),
  /** Private base URL of the attestor (evidence reads and log appends), https only. */
  attestorUrl: s.string({ pattern: /^https:\/\/[^/?#]+$/ }),
  /** The Authority's token endpoint for the signer's own client-credentials tokens. */
  authorityTokenUrl: s.string({ pattern: /^https:\/\/[^?#]+$/ }),
  /** Key state file (see key-state.ts); rotation rewrites it, the signer re-reads it. */
  keyStatePath: s.string({ min: 1 }),
  /** Signer mTLS identity (`spiffe://<trustDomain>/svc/signer`) for outbound calls. */
  tls: s.object({ key: s.secretRef(), cert: s.secretRef(), ca: s.secretRef() }),
  allowedPredicateTypes: s.optional(
    s.array(s.string({ min: 1, max: 2048 }), { min: 1, unique: true }),
    [...d.allowedPredicateTypes],
  ),
  /** OCI registries the signer may fetch manifests from; empty = none (fail closed). */
  registries: s.optional(
    s.array(
      s.object({
        host: s.string({ pattern: HOST }),
        scheme: s.optional(s.string({ enum: ['https', 'http'] }), 'https'),
        trustedHosts: s.optional(s.array(s.string({ pattern: HOST }), { max: 16 }), []),
      }),
      { max: 256 },
    ),
    [],
  ),
  quotas: s.optional(
    s.object({ defaults: s.optional(quota, {}), tenants: s.optional(s.record(quota), {}) }),
    {},
  ),
  maxSubjects: s.optional(s.integer({ min: 1, max: 1024 }), d.maxSubjects),
  maxInlineBytes: s.optional(s.integer({ min: 1 }), d.maxInlineBytes),
  maxEvidenceBytes: s.optional(s.integer({ min: 1 }), d.maxEvidenceBytes),
  maxManifestBytes: s.optional(s.integer({ min: 1 }), d.maxManifestBytes),
  bodyLimitBytes: s.optional(s.integer({ min: 1024 }), d.bodyLimitBytes),
  outboundTimeoutMs: s.optional(s.integer({ min: 100, max: 120_000 }), d.outboundTimeoutMs),
  keyReloadIntervalMs: s.optional(s.integer({ min: 100 }), d.keyReloadIntervalMs),
});

export type SignerConfig = Infer<typeof signerConfigSchema>;

/** Cross-field rules the schema cannot say: plain http only for loopback test registries. */
export function assertSignerConfig(config: SignerConfig): void {
  for (const r of config.registries ?? []) {
    if (r.scheme === 'http' && !LOOPBACK.test(r.host)) {
      throw new TypeError(`signer.registries: http is allowed only for loopback hosts (${r.host})`);
    }
  }
}
