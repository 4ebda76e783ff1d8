/**
 * PLATFORM.md §8: two gateway replicas sharing one KV enforce one rate limit and one DPoP replay
 * cache — through Valkey/Redis (`STELLA_TEST_VALKEY_URL`) and through the in-process memory KV
 * shared in the embedded case.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '@stella/core';
import type { KeyValueStore } from '@stella/core';
import { createMemoryKv, createValkeyKv } from '@stella/storage';
import { HOST, createFixture } from './helpers/fixture.ts';
import { createDpopClient, createTestKey } from './helpers/tokens.ts';

const VALKEY = process.env['STELLA_TEST_VALKEY_URL'];
const READ = '/api/v1/attestor/log/checkpoint';

async function twoReplicas(kv: KeyValueStore, clock: ReturnType<typeof manualClock>) {
  const shared = {
    kv,
    clock,
    kvPrefix: `replicas:${process.pid}:${Date.now()}:`,
    authorityKey: await createTestKey(),
    dpop: await createDpopClient(),
    limits: { perAddress: { limit: 3, windowMs: 60_000 } },
  };
  return [await createFixture(shared), await createFixture(shared)] as const;
}

function backends(): [string, (() => KeyValueStore) | undefined, string | undefined][] {
  return [
    ['memory (embedded, shared instance)', undefined, undefined],
    [
      'valkey',
      VALKEY === undefined
        ? undefined
        : () =>
            createValkeyKv({
              url: VALKEY,
              keyPrefix: `stella-test:gw:${process.pid}:${Date.now()}:`,
            }),
      VALKEY === undefined ? 'set STELLA_TEST_VALKEY_URL' : undefined,
    ],
  ];
}

for (const [name, makeKv, skip] of backends()) {
  describe(`two replicas over ${name}`, { ...(skip === undefined ? {} : { skip }) }, () => {
    test('one rate limit across both replicas', async () => {
      const clock = manualClock(Date.now());
      const kv = makeKv?.() ?? createMemoryKv({ clock });
      const [a, b] = await twoReplicas(kv, clock);
      try {
        const get = (f: typeof a) =>
          f.service.app.inject({ method: 'GET', url: '/jwks', headers: { host: HOST } });
        assert.equal((await get(a)).statusCode, 200);
        assert.equal((await get(b)).statusCode, 200);
        assert.equal((await get(a)).statusCode, 200);
        const limited = await get(b);
        assert.equal(limited.statusCode, 429);
        assert.equal(limited.json().error.code, 'rate_limited');
      } finally {
        await a.close();
        await b.close();
        await kv.close();
      }
    });

    test('one DPoP replay cache across both replicas', async () => {
      const clock = manualClock(Date.now());
      const kv = makeKv?.() ?? createMemoryKv({ clock });
      const [a, b] = await twoReplicas(kv, clock);
      try {
        const headers = await a.dpopHeaders('GET', READ, {
          aud: 'attestor',
          scope: 'attestor:read',
        });
        const first = await a.service.app.inject({
          method: 'GET',
          url: READ,
          headers: { host: HOST, ...headers },
        });
        assert.equal(first.statusCode, 200, first.body);
        const replay = await b.service.app.inject({
          method: 'GET',
          url: READ,
          headers: { host: HOST, ...headers },
        });
        assert.equal(replay.statusCode, 401);
        assert.equal(replay.json().error.code, 'invalid_dpop_proof');
      } finally {
        await a.close();
        await b.close();
        await kv.close();
      }
    });
  });
}
