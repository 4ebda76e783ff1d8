/**
 * In-memory `KeyValueStore` for single-process deployments and tests. Every operation is
 * synchronous inside one event-loop turn, so `setIfAbsent` is atomic. Expired entries are purged
 * on every write; beyond `maxEntries` the soonest-expiring (then oldest) entries are evicted, so
 * memory stays bounded under a flood of unique keys (e.g. DPoP `jti`s).
 *
 * Eviction is a trade-off for a replay cache: an evicted `jti` could be replayed. Size the cap
 * above (requests per second × replay window), or use Valkey.
 */
import { systemClock } from '@stella/core';
import type { Clock, KeyValueStore } from '@stella/core';
import { storageError } from '../errors.ts';
import { ExpiryHeap } from './expiry-heap.ts';
import { assertTtlMs } from './ttl.ts';

export interface MemoryKvOptions {
  /** Maximum live entries before eviction. Default 100 000. */
  readonly maxEntries?: number;
  readonly clock?: Clock;
}

interface Entry {
  value: string;
  readonly expiresAt: number;
  readonly generation: number;
}

const COUNTER = /^-?[0-9]{1,15}$/;

export function createMemoryKv(
  options: MemoryKvOptions = {},
): KeyValueStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('maxEntries must be >= 1');
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  const heap = new ExpiryHeap();
  let generation = 0;

  const isLive = (item: { key: string; generation: number }) =>
    entries.get(item.key)?.generation === item.generation;

  function live(key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry;
    entries.delete(key);
    return undefined;
  }

  /** Purge expired entries, then evict until there is room for one more. */
  function makeRoom(now: number): void {
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const stale = !isLive(top);
      if (!stale && top.expiresAt > now && entries.size < maxEntries) break;
      heap.pop();
      if (!stale) entries.delete(top.key);
    }
    if (heap.size > 2 * entries.size + 1024) heap.rebuild(isLive);
  }

  function insert(key: string, value: string, ttlMs: number, now: number): Entry {
    makeRoom(now);
    const entry: Entry = { value, expiresAt: now + ttlMs, generation: ++generation };
    entries.set(key, entry);
    heap.push({ key, expiresAt: entry.expiresAt, generation: entry.generation });
    return entry;
  }

  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      return live(key, clock.now())?.value;
    },
    async setIfAbsent(key, value, ttlMs) {
      assertTtlMs(ttlMs);
      const now = clock.now();
      if (live(key, now) !== undefined) return false;
      insert(key, value, ttlMs, now);
      return true;
    },
    async incrWithTtl(key, ttlMs) {
      assertTtlMs(ttlMs);
      const now = clock.now();
      const existing = live(key, now);
      if (existing === undefined) {
        insert(key, '1', ttlMs, now);
        return { count: 1, ttlMs };
      }
      if (!COUNTER.test(existing.value)) throw storageError('kv_not_a_counter');
      const count = Number(existing.value) + 1;
      existing.value = String(count);
      return { count, ttlMs: existing.expiresAt - now };
    },
    async del(key) {
      entries.delete(key);
    },
    async close() {
      entries.clear();
      heap.rebuild(() => false);
    },
  };
}
