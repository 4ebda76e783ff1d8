import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'iovalkey';
import type { KeyValueStore } from '@stella/core';
import { createReplayCache } from '../src/index.ts';

// RFC 9449 §11.1 across replicas: two replay caches (two services' replicas, two connections)
// sharing one real Valkey/Redis must accept a (jti, htu) pair exactly once. @stella/auth may not
// depend on @stella/storage, so the KV port is implemented here directly (SET NX PX), as the
// storage adapter does.
const url = process.env['STELLA_TEST_VALKEY_URL'];
const skip = url === undefined ? 'set STELLA_TEST_VALKEY_URL' : false;
const WINDOW_MS = 60_000;

const INCR_WITH_TTL = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {c, redis.call('PTTL', KEYS[1])}`;

/** Connects or fails loudly: no endless reconnect loop hiding an unreachable server. */
async function connect(): Promise<Redis> {
  const client = new Redis(url ?? '', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error('STELLA_TEST_VALKEY_URL is set but the server is unreachable', {
      cause: error,
    });
  }
  return client;
}

function kvOver(client: Redis): KeyValueStore {
  return {
    get: async (key) => (await client.get(key)) ?? undefined,
    setIfAbsent: async (key, value, ttlMs) =>
      (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK',
    incrWithTtl: async (key, ttlMs) => {
      const [count, ttl] = (await client.eval(INCR_WITH_TTL, 1, key, ttlMs)) as [number, number];
      return { count, ttlMs: ttl };
    },
    del: async (key) => {
      await client.del(key);
    },
    close: async () => {
      await client.quit();
    },
  };
}

async function withTwoCaches(
  run: (
    a: ReturnType<typeof createReplayCache>,
    b: ReturnType<typeof createReplayCache>,
    raw: Redis,
    prefix: string,
  ) => Promise<void>,
): Promise<void> {
  const [one, two] = [await connect(), await connect()];
  // A unique prefix per run: parallel test files and earlier runs never collide on the server.
  const prefix = `stella-test:auth-replay:${randomUUID()}:`;
  try {
    const a = createReplayCache(kvOver(one), { prefix, windowMs: WINDOW_MS });
    const b = createReplayCache(kvOver(two), { prefix, windowMs: WINDOW_MS });
    await run(a, b, one, prefix);
  } finally {
    const keys = await one.keys(`${prefix}*`);
    if (keys.length > 0) await one.del(...keys);
    await one.quit();
    await two.quit();
  }
}

test(
  'two replay caches on one Valkey: exactly one accepts the same (jti, htu)',
  { skip },
  async () => {
    await withTwoCaches(async (a, b, raw, prefix) => {
      const htu = 'https://gw.example:8443/api/v1/evidence';
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).checkAndRemember('jti-1', htu)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      // Other htu or other jti: an independent pair.
      assert.equal(await b.checkAndRemember('jti-1', 'https://gw.example:8443/api/v1/other'), true);
      assert.equal(await a.checkAndRemember('jti-2', htu), true);
      // Each entry expires within the window (it cannot be remembered forever).
      const keys = await raw.keys(`${prefix}*`);
      assert.equal(keys.length, 3);
      for (const key of keys) {
        const ttl = await raw.pttl(key);
        assert.ok(ttl > 0 && ttl <= WINDOW_MS, `ttl ${ttl}`);
      }
    });
  },
);

test('property: across two caches each distinct pair is accepted once', { skip }, async () => {
  await withTwoCaches(async (a, b) => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.webUrl(), async (jti, htu) => {
        round += 1;
        const id = `${round}:${jti}`; // fast-check repeats values; each round is a new proof
        const [x, y] = await Promise.all([
          a.checkAndRemember(id, htu),
          b.checkAndRemember(id, htu),
        ]);
        return (
          x !== y && !(await a.checkAndRemember(id, htu)) && !(await b.checkAndRemember(id, htu))
        );
      }),
      { numRuns: 50 },
    );
  });
});

test('a replay cache whose Valkey connection is gone fails closed', { skip }, async () => {
  const client = await connect();
  const cache = createReplayCache(kvOver(client), {
    prefix: `stella-test:auth-replay:${randomUUID()}:`,
    windowMs: WINDOW_MS,
  });
  await client.quit();
  await assert.rejects(cache.checkAndRemember('jti', 'https://gw.example:8443/x'));
});
