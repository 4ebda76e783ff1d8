/**
 * Valkey/Redis `KeyValueStore` (`iovalkey`), shared by every replica (PLATFORM.md §8: replay
 * caches and rate limits must hold across replicas). Fail fast and closed: no offline queue, a
 * bounded connect and command timeout, and every failure surfaces as `kv_unavailable` so a
 * replay check or rate limit refuses instead of silently passing.
 */
import { Redis } from 'iovalkey';
import type { KeyValueStore } from '@stella/core';
import { storageError } from '../errors.ts';
import { assertTtlMs } from './ttl.ts';
import { createScript } from './valkey-script.ts';

export interface ValkeyKvOptions {
  /** `redis://[:password@]host:port/db` — may carry a secret; never logged. */
  readonly url: string;
  /** Prepended to every key so several components can share one server. Default `stella:`. */
  readonly keyPrefix?: string;
  /** Milliseconds for connect and for each command before `kv_unavailable`. Default 2000. */
  readonly timeoutMs?: number;
}

// INCR then PEXPIRE on creation, in one script so the counter can never be left without a TTL
// (a crash between two round trips would otherwise make a rate limit permanent). A key found
// without a TTL is repaired rather than trusted.
const INCR_WITH_TTL = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export function createValkeyKv(options: ValkeyKvOptions): KeyValueStore {
  const prefix = options.keyPrefix ?? 'stella:';
  const timeoutMs = options.timeoutMs ?? 2000;
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors are reported per command as kv_unavailable; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  const incrWithTtl = createScript(client, INCR_WITH_TTL);
  let connecting: Promise<void> | undefined;

  async function ready(): Promise<void> {
    if (client.status === 'ready') return;
    if (client.status === 'wait') {
      connecting = client.connect().finally(() => {
        connecting = undefined;
      });
    }
    if (connecting === undefined)
      throw storageError('kv_unavailable', { detail: `status ${client.status}` });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('connect timeout')), timeoutMs);
    });
    try {
      await Promise.race([connecting, timeout]);
    } catch (error) {
      throw storageError('kv_unavailable', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async function run<T>(command: () => Promise<T>): Promise<T> {
    await ready();
    try {
      return await command();
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (message.includes('not an integer')) throw storageError('kv_not_a_counter');
      throw storageError('kv_unavailable', { cause: error });
    }
  }

  return {
    async get(key) {
      const value = await run(() => client.get(prefix + key));
      return value ?? undefined;
    },
    async setIfAbsent(key, value, ttlMs) {
      assertTtlMs(ttlMs);
      // SET NX PX is a single atomic command: exactly one concurrent caller gets OK.
      const reply = await run(() => client.set(prefix + key, value, 'PX', ttlMs, 'NX'));
      return reply === 'OK';
    },
    async incrWithTtl(key, ttlMs) {
      assertTtlMs(ttlMs);
      const reply = await run(() => incrWithTtl([prefix + key], [String(ttlMs)]));
      if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
        throw storageError('kv_unavailable', { detail: 'unexpected script reply' });
      }
      return { count: reply[0], ttlMs: reply[1] };
    },
    async del(key) {
      await run(() => client.del(prefix + key));
    },
    async close() {
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}
