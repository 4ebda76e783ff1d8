/**
 * JWKS sources for access-token and revocation-bundle verification. Keys are imported once and
 * looked up by `kid` (PLATFORM.md §2: kid = RFC 7638 thumbprint). The remote source refreshes on
 * an unknown kid at most once per `minRefreshIntervalMs`, so garbage kids cannot cause a fetch
 * storm against the Authority; the cache is safe to rebuild on any replica (PLATFORM.md §8).
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '@stella/core';
import { parseJsonStrict } from '@stella/core';
import { AuthError } from './errors.ts';
import type { JwsAlgorithm } from './jws.ts';
import { algorithmOfJwk, importPublicJwk, parsePublicJwk } from './public-jwk.ts';

export interface VerificationKey {
  readonly kid: string;
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

export interface JwksSource {
  /** The key for `kid`, or undefined when unknown. Rejects with `jwks_unavailable`. */
  getKey(kid: string): Promise<VerificationKey | undefined>;
}

export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<{ status: number; text(): Promise<string> }>;

/** Imports the usable signing keys of a JWK Set; other key types and `use` ≠ sig are skipped. */
export function importJwks(document: unknown): Map<string, VerificationKey> {
  const keys = new Map<string, VerificationKey>();
  if (typeof document !== 'object' || document === null) return keys;
  const list = (document as { keys?: unknown }).keys;
  if (!Array.isArray(list)) return keys;
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { kid, use, alg } = entry as { kid?: unknown; use?: unknown; alg?: unknown };
    if (typeof kid !== 'string' || kid.length === 0 || (use !== undefined && use !== 'sig')) {
      continue;
    }
    const jwk = parsePublicJwk(entry);
    if (typeof jwk === 'string') continue;
    const keyAlg = algorithmOfJwk(jwk);
    if (alg !== undefined && alg !== keyAlg) continue;
    try {
      keys.set(kid, { kid, alg: keyAlg, key: importPublicJwk(jwk) });
    } catch {
      continue; // not a point on the curve: never usable
    }
  }
  return keys;
}

/** A fixed key set (tests, offline trust bundles). */
export function createStaticJwks(document: unknown): JwksSource {
  const keys = importJwks(document);
  if (keys.size === 0) throw new TypeError('the JWK Set holds no usable signing key');
  return { getKey: (kid) => Promise.resolve(keys.get(kid)) };
}

export interface RemoteJwksOptions {
  readonly url: string;
  readonly fetch?: FetchLike;
  readonly clock: Clock;
  /** Minimum time between two fetches, ms (default 30 000). */
  readonly minRefreshIntervalMs?: number;
  /** Per-fetch timeout, ms (default 5 000). */
  readonly timeoutMs?: number;
  /** Response size cap, bytes (default 256 KiB). */
  readonly maxBytes?: number;
}

export function createRemoteJwks(options: RemoteJwksOptions): JwksSource {
  const doFetch: FetchLike = options.fetch ?? (fetch as unknown as FetchLike);
  const minInterval = options.minRefreshIntervalMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  let keys: Map<string, VerificationKey> | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  async function load(): Promise<void> {
    const response = await doFetch(options.url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (response.status !== 200) throw new Error(`jwks status ${response.status}`);
    const text = await response.text();
    if (text.length > maxBytes) throw new Error('jwks too large');
    // Strict I-JSON (RFC 7493): a JWK with duplicate members (two `x`, two `kid`) is refused.
    keys = importJwks(parseJsonStrict(text));
  }

  function refresh(): Promise<void> {
    // One fetch in flight at a time; the attempt counts even when it fails (no retry storm).
    inflight ??= (async () => {
      lastAttempt = options.clock.now();
      try {
        await load();
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  return {
    async getKey(kid) {
      const known = keys?.get(kid);
      if (known !== undefined) return known;
      if (inflight === undefined && options.clock.now() - lastAttempt < minInterval) {
        if (keys === undefined) throw new AuthError('jwks_unavailable', { detail: 'backoff' });
        return undefined;
      }
      try {
        await refresh();
      } catch {
        // Keep serving the last good set; without one, fail closed.
        if (keys === undefined) throw new AuthError('jwks_unavailable', { detail: 'fetch failed' });
      }
      return keys?.get(kid);
    },
  };
}
