/**
 * The signer's published key set as a port (PLATFORM.md §6): the attestor verifies each DSSE
 * signature with a signer key valid at signing time. The HTTP source reads the signer's
 * `GET /api/v1/signer/keys` (`{"keys":[{keyid, alg, publicKey, notBefore, notAfter?, revokedAt?}]}`),
 * caches it, refreshes it periodically, and re-fetches on an unknown keyid at most once per
 * `minRefreshIntervalMs` so a flood of bogus keyids cannot turn into a flood of fetches.
 */
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from '@stella/core';
import { attestorError } from '../errors.ts';
import { parseTrustFile } from '../trust-file.ts';
import type { TrustedSignerKey } from '../trust-file.ts';

export interface SignerKeySource {
  /** The key published under `keyid`, or undefined when the signer never published it. */
  lookup(keyid: string): Promise<TrustedSignerKey | undefined>;
  /** Every published key (for `POST /verify` and trust export). */
  all(): Promise<readonly TrustedSignerKey[]>;
}

/** Parses the signer's key-set document strictly (same rules as the trust file's `signerKeys`). */
export function parseSignerKeySet(value: unknown): TrustedSignerKey[] {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as { keys?: unknown }).keys)
  ) {
    throw attestorError('signer_keys_unavailable', { detail: 'key set shape' });
  }
  return [
    ...parseTrustFile({ signerKeys: (value as { keys: unknown[] }).keys, logs: [] }).signerKeys,
  ];
}

export function createStaticSignerKeySource(keys: readonly TrustedSignerKey[]): SignerKeySource {
  const frozen = Object.freeze([...keys]);
  return {
    lookup: (keyid) => Promise.resolve(frozen.find((k) => k.keyid === keyid)),
    all: () => Promise.resolve(frozen),
  };
}

export interface HttpSignerKeySourceOptions {
  /** e.g. `https://signer.internal:8443/api/v1/signer/keys`. */
  readonly url: string;
  /** Presents the attestor's mTLS identity and trusts the platform CA. */
  readonly dispatcher?: Dispatcher;
  readonly clock: Clock;
  /** Cached key set is re-fetched after this long (milliseconds). */
  readonly maxAgeMs: number;
  /** Unknown-keyid refreshes happen at most this often (milliseconds). */
  readonly minRefreshIntervalMs: number;
  readonly timeoutMs: number;
  /** Largest accepted key-set document (bytes). */
  readonly maxBytes?: number;
}

export function createHttpSignerKeySource(options: HttpSignerKeySourceOptions): SignerKeySource {
  let cached: { keys: TrustedSignerKey[]; fetchedAt: number } | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<TrustedSignerKey[]> | undefined;
  const maxBytes = options.maxBytes ?? 1024 * 1024;

  async function fetchKeys(): Promise<TrustedSignerKey[]> {
    lastAttempt = options.clock.now();
    try {
      const res = await request(options.url, {
        method: 'GET',
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
        headers: { accept: 'application/json' },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200 || text.length > maxBytes)
        throw new Error(`status ${res.statusCode}`);
      const keys = parseSignerKeySet(JSON.parse(text));
      cached = { keys, fetchedAt: options.clock.now() };
      return keys;
    } catch {
      throw attestorError('signer_keys_unavailable', { detail: 'fetch failed' });
    }
  }

  function refresh(): Promise<TrustedSignerKey[]> {
    inflight ??= fetchKeys().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function current(): Promise<TrustedSignerKey[]> {
    if (cached === undefined) return refresh();
    if (options.clock.now() - cached.fetchedAt >= options.maxAgeMs) {
      // A stale cache beats no answer only while the signer is briefly unreachable.
      return refresh().catch(() => cached!.keys);
    }
    return cached.keys;
  }

  return {
    async lookup(keyid) {
      const found = (await current()).find((k) => k.keyid === keyid);
      if (found !== undefined) return found;
      if (options.clock.now() - lastAttempt < options.minRefreshIntervalMs) return undefined;
      return (await refresh()).find((k) => k.keyid === keyid);
    },
    all: current,
  };
}
