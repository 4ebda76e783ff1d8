/**
 * Fixed-window rate limits through the KV port (`incrWithTtl`), so every replica sharing one
 * Valkey enforces one limit (PLATFORM.md §2 "Rate limits", §8). Over the limit the caller answers
 * 429 with `Retry-After` (RFC 9110 §10.2.3, whole seconds) and audits `rate_limited`.
 */
import type { KeyValueStore } from '@stella/core';
import { sha256Hex } from '@stella/core';
import { authorityError } from './errors.ts';
import type { RateLimit } from './defaults.ts';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
}

export function createRateLimiter(kv: KeyValueStore, prefix = 'authority:rl:') {
  return async function consume(
    bucket: string,
    subject: string,
    limit: RateLimit,
  ): Promise<RateLimitDecision> {
    // Subjects (client ids, addresses) are hashed so odd characters cannot shape the key space.
    const key = `${prefix}${bucket}:${sha256Hex(subject)}`;
    const { count, ttlMs } = await kv.incrWithTtl(key, limit.windowMs);
    return {
      allowed: count <= limit.limit,
      retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
    };
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** The 429 error carrying Retry-After for the OAuth error writer. */
export function rateLimitedError(bucket: string, retryAfterSeconds: number) {
  return authorityError('rate_limited', {
    detail: `rate limit ${bucket}`,
    extra: { 'retry-after': String(retryAfterSeconds) },
  });
}
