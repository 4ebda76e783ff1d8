/**
 * KeyValueStore contract, run against the memory adapter (injected clock) and Valkey/Redis when
 * STELLA_TEST_VALKEY_URL is set (short real TTLs). Replay caches rely on `setIfAbsent` letting
 * exactly one of many concurrent callers win.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { manualClock } from '@stella/core';
import type { KeyValueStore } from '@stella/core';
import { createMemoryKv, createValkeyKv } from '../src/index.ts';

const valkeyUrl = process.env.STELLA_TEST_VALKEY_URL;

interface KvBackend {
  readonly name: string;
  readonly skip: string | false;
  readonly kv: () => KeyValueStore;
  /** Whether two handles see the same data (two replicas sharing one server). */
  readonly shared: boolean;
  /** Lets `ms` pass for TTL purposes (manual clock, or a real sleep for Redis). */
  readonly elapse: (ms: number) => Promise<void>;
}

const clock = manualClock(1_700_000_000_000);
const runId = randomBytes(6).toString('hex');
const backends: KvBackend[] = [
  {
    name: 'memory',
    skip: false,
    kv: () => createMemoryKv({ clock }),
    shared: false,
    elapse: async (ms) => clock.advance(ms),
  },
  {
    name: 'valkey',
    skip: valkeyUrl === undefined ? 'set STELLA_TEST_VALKEY_URL' : false,
    kv: () => createValkeyKv({ url: valkeyUrl ?? '', keyPrefix: `stella-test:${runId}:` }),
    shared: true,
    elapse: (ms) => sleep(ms),
  },
];

for (const backend of backends) {
  describe(`KV contract: ${backend.name}`, { skip: backend.skip }, () => {
    const opened: KeyValueStore[] = [];
    const open = () => {
      const kv = backend.kv();
      opened.push(kv);
      return kv;
    };
    after(async () => {
      await Promise.all(opened.map((kv) => kv.close()));
    });

    it('setIfAbsent: exactly one of 200 concurrent callers wins', async () => {
      const kv = open();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => kv.setIfAbsent('race', `caller-${i}`, 10_000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal(await kv.get('race'), `caller-${winner}`);
    });

    it(
      'setIfAbsent: two clients (replicas) racing still give one winner',
      { skip: !backend.shared },
      async () => {
        const a = open();
        const b = open();
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 === 0 ? a : b).setIfAbsent('race-2', 'x', 10_000),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
      },
    );

    it('expires entries after their TTL', async () => {
      const kv = open();
      assert.equal(await kv.setIfAbsent('ttl', 'v', 80), true);
      assert.equal(await kv.setIfAbsent('ttl', 'v', 80), false);
      assert.equal(await kv.get('ttl'), 'v');
      await backend.elapse(150);
      assert.equal(await kv.get('ttl'), undefined);
      assert.equal(await kv.setIfAbsent('ttl', 'w', 80), true);
    });

    it('incrWithTtl counts within a window and starts over after it', async () => {
      const kv = open();
      const first = await kv.incrWithTtl('counter', 10_000);
      assert.deepEqual(first, { count: 1, ttlMs: 10_000 });
      const second = await kv.incrWithTtl('counter', 10_000);
      assert.equal(second.count, 2);
      assert.ok(second.ttlMs > 0 && second.ttlMs <= 10_000);
      const counts = await Promise.all(
        Array.from({ length: 50 }, () => kv.incrWithTtl('counter', 10_000)),
      );
      assert.deepEqual(
        counts.map((c) => c.count).sort((x, y) => x - y),
        Array.from({ length: 50 }, (_, i) => i + 3),
      );
      const short = await kv.incrWithTtl('short', 80);
      assert.equal(short.count, 1);
      await backend.elapse(150);
      assert.equal((await kv.incrWithTtl('short', 80)).count, 1);
    });

    it('incrWithTtl refuses a key that does not hold a counter', async () => {
      const kv = open();
      await kv.setIfAbsent('not-counter', 'abc', 10_000);
      await assert.rejects(kv.incrWithTtl('not-counter', 10_000), { code: 'kv_not_a_counter' });
    });

    it('del removes a key', async () => {
      const kv = open();
      await kv.setIfAbsent('gone', 'v', 10_000);
      await kv.del('gone');
      assert.equal(await kv.get('gone'), undefined);
      assert.equal(await kv.setIfAbsent('gone', 'v', 10_000), true);
    });

    it('refuses non-positive or fractional TTLs', async () => {
      const kv = open();
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(kv.setIfAbsent('bad-ttl', 'v', ttl), TypeError);
        await assert.rejects(kv.incrWithTtl('bad-ttl', ttl), TypeError);
      }
    });
  });
}

describe('memory KV size cap', () => {
  it('evicts the soonest-expiring, then oldest, entries beyond maxEntries', async () => {
    const c = manualClock(0);
    const kv = createMemoryKv({ maxEntries: 3, clock: c });
    await kv.setIfAbsent('long', '1', 10_000);
    await kv.setIfAbsent('short', '2', 100);
    await kv.setIfAbsent('mid-a', '3', 5_000);
    await kv.setIfAbsent('mid-b', '4', 5_000); // evicts 'short' (soonest expiry)
    assert.equal(kv.size, 3);
    assert.equal(await kv.get('short'), undefined);
    await kv.setIfAbsent('mid-c', '5', 5_000); // evicts 'mid-a' (same expiry as mid-b, older)
    assert.equal(await kv.get('mid-a'), undefined);
    assert.equal(await kv.get('mid-b'), '4');
    assert.equal(await kv.get('long'), '1');
  });

  it('never holds more than maxEntries under a flood of unique keys', async () => {
    const c = manualClock(0);
    const kv = createMemoryKv({ maxEntries: 100, clock: c });
    for (let i = 0; i < 5_000; i += 1) {
      await kv.setIfAbsent(`k${i}`, 'v', 1_000 + (i % 7));
      if (i % 50 === 0) c.advance(10);
      assert.ok(kv.size <= 100);
    }
    assert.equal(await kv.get('k4999'), 'v');
  });

  it('purges expired entries before evicting live ones', async () => {
    const c = manualClock(0);
    const kv = createMemoryKv({ maxEntries: 2, clock: c });
    await kv.setIfAbsent('a', '1', 50);
    await kv.setIfAbsent('b', '2', 10_000);
    c.advance(100);
    await kv.setIfAbsent('c', '3', 10_000);
    assert.equal(await kv.get('b'), '2');
    assert.equal(await kv.get('c'), '3');
  });
});

describe('Valkey unavailable', () => {
  it('fails fast with kv_unavailable when the server is down', async () => {
    const kv = createValkeyKv({ url: 'redis://127.0.0.1:1', timeoutMs: 500 });
    try {
      for (let i = 0; i < 3; i += 1) {
        await assert.rejects(kv.setIfAbsent('k', 'v', 1000), { code: 'kv_unavailable' });
        await assert.rejects(kv.incrWithTtl('k', 1000), { code: 'kv_unavailable' });
        await assert.rejects(kv.get('k'), { code: 'kv_unavailable' });
      }
    } finally {
      await kv.close();
    }
  });

  it('fails with kv_unavailable when the server never answers (bounded connect timeout)', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s)); // accepts, never speaks RESP
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const kv = createValkeyKv({ url: `redis://127.0.0.1:${port}`, timeoutMs: 300 });
    try {
      await assert.rejects(kv.setIfAbsent('k', 'v', 1000), { code: 'kv_unavailable' });
    } finally {
      await kv.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
