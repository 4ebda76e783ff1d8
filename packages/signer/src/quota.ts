import type { KeyValueStore } from '@stella/core';
import { signerError } from './errors.ts';

/** Per-tenant signing quotas (issue 5 gate 4). */
export interface QuotaLimits {
  /** Sign requests per tenant per fixed one-minute window. */
  readonly requestsPerMinute: number;
  /** Request body bytes per request for this tenant. */
  readonly maxRequestBytes: number;
  /** Signings in flight at once per tenant, across all replicas (shared through the KV). */
  readonly maxConcurrent: number;
}

export interface QuotaPolicy {
  readonly defaults: QuotaLimits;
  /** Per-tenant overrides, keyed by tenant id. */
  readonly tenants: Readonly<Record<string, Partial<QuotaLimits>>>;
  /** Lease on a concurrency slot; a crashed replica's slot frees itself after this many ms. */
  readonly leaseMs: number;
}

export interface QuotaLease {
  release(): Promise<void>;
}

const WINDOW_MS = 60_000;

function exceeded(detail: string, retryAfterSeconds?: number) {
  return signerError('quota_exceeded', {
    detail,
    ...(retryAfterSeconds === undefined
      ? {}
      : { extra: { retryAfter: String(Math.max(1, retryAfterSeconds)) } }),
  });
}

export function limitsFor(policy: QuotaPolicy, tenant: string): QuotaLimits {
  const own = Object.hasOwn(policy.tenants, tenant) ? policy.tenants[tenant] : undefined;
  return { ...policy.defaults, ...own };
}

/**
 * Checks the three quotas in a fixed order (bytes, rate, concurrency) and takes a concurrency
 * slot. Replica-safe: counters and slots live in the shared KV (PLATFORM.md §8). A concurrency
 * slot is one of `maxConcurrent` keys taken with `setIfAbsent` and a lease TTL, released with
 * `del` when the request ends. A bytes refusal carries no Retry-After: waiting will not help.
 */
export async function acquireQuota(
  kv: KeyValueStore,
  policy: QuotaPolicy,
  tenant: string,
  requestBytes: number,
  nowMs: number,
  leaseId: string,
): Promise<QuotaLease> {
  const limits = limitsFor(policy, tenant);
  if (requestBytes > limits.maxRequestBytes) throw exceeded('bytes per request');
  const window = Math.floor(nowMs / WINDOW_MS);
  const rate = await kv.incrWithTtl(`signer:quota:rpm:${tenant}:${window}`, WINDOW_MS);
  if (rate.count > limits.requestsPerMinute) {
    throw exceeded('requests per minute', Math.ceil(rate.ttlMs / 1000));
  }
  for (let slot = 0; slot < limits.maxConcurrent; slot += 1) {
    const key = `signer:quota:concurrent:${tenant}:${slot}`;
    if (await kv.setIfAbsent(key, leaseId, policy.leaseMs)) {
      return { release: () => kv.del(key) };
    }
  }
  throw exceeded('concurrent signings', 1);
}
