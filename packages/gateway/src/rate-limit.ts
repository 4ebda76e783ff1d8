/**
 * Fixed-window rate limiting through the KV port (PLATFORM.md §4, §8): the counter lives in
 * Valkey when configured, so every gateway replica enforces one limit. The window starts at the
 * first request and ends when the KV entry expires, so replicas need no clock agreement.
 * Response headers follow draft-ietf-httpapi-ratelimit-headers (`RateLimit-Limit`,
 * `RateLimit-Remaining`, `RateLimit-Reset`) and RFC 9110 §10.2.3 `Retry-After` on 429.
 */
import type { KeyValueStore } from '@stella/core';
import { gatewayError } from './errors.ts';
import type { RateWindow } from './defaults.ts';

export interface RateState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets (≥ 1). */
  readonly resetSeconds: number;
}

export type RateOutcome =
  | { kind: 'allowed'; state: RateState }
  | { kind: 'limited'; state: RateState }
  | { kind: 'unavailable' };

const PREFIX = 'stella:gw:rl:';

/** Counts one request against `scope`/`id`; KV errors become `unavailable`, never allow-all. */
export async function countRequest(
  kv: KeyValueStore,
  scope: 'addr' | 'client' | 'tenant',
  id: string,
  window: RateWindow,
  keyPrefix = '',
): Promise<RateOutcome> {
  let result: { count: number; ttlMs: number };
  try {
    result = await kv.incrWithTtl(
      `${keyPrefix}${PREFIX}${scope}:${window.windowMs}:${id}`,
      window.windowMs,
    );
  } catch {
    return { kind: 'unavailable' };
  }
  const ttlMs = result.ttlMs > 0 ? result.ttlMs : window.windowMs;
  const state: RateState = {
    limit: window.limit,
    remaining: Math.max(0, window.limit - result.count),
    resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
  };
  return result.count > window.limit ? { kind: 'limited', state } : { kind: 'allowed', state };
}

/** The most restrictive of two states, for the response headers. */
export function tighter(a: RateState | undefined, b: RateState): RateState {
  return a === undefined || b.remaining < a.remaining ? b : a;
}

export function rateLimitHeaders(state: RateState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
  };
}

/** Turns a limiter outcome into a refusal (429 or 503) or the state to report. */
export function enforce(
  outcome: RateOutcome,
  failMode: 'open' | 'closed',
  scope: string,
): RateState | undefined {
  if (outcome.kind === 'allowed') return outcome.state;
  if (outcome.kind === 'limited') {
    throw gatewayError('rate_limited', {
      detail: scope,
      extra: {
        'retry-after': String(outcome.state.resetSeconds),
        ...rateLimitHeaders(outcome.state),
      },
    });
  }
  if (failMode === 'closed') throw gatewayError('rate_limit_unavailable', { detail: scope });
  return undefined;
}
