/**
 * The per-replica client/tenant cache (`client-cache.ts`) over the real registry on PGlite: hits
 * inside the bound do no SQL, the bound re-reads, a write on this replica drops the cache at once,
 * negative answers are never cached, a read in flight across a write is not kept, and disabling
 * records `revoked_at = now + bound` for the revocation bundle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '@stella/core';
import type { SqlDatabase } from '@stella/core';
import { createPgliteDatabase } from '@stella/storage';
import { authorityMigrations } from '../../src/migrations.ts';
import { createClientRegistry } from '../../src/client-registry.ts';
import type { NewClient } from '../../src/client-registry.ts';
import { createCachedClientRegistry } from '../../src/client-cache.ts';

const T0 = Date.UTC(2025, 0, 1);
const TTL = 2_000;

function client(id: string): NewClient {
  return {
    id,
    tenants: ['acme'],
    allowedScopes: ['evidence:read'],
    allowedAudiences: ['gateway'],
    authMethod: 'private_key_jwt',
    jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
  };
}

describe('client cache', () => {
  let raw: SqlDatabase;
  const reads = { count: 0 };
  // Counts transactions on the real database (a scratch wrapper, not a mock).
  const counted = (): SqlDatabase => ({
    kind: raw.kind,
    withTenant: (t, fn) => raw.withTenant(t, fn),
    withoutTenant: (fn) => {
      reads.count += 1;
      return raw.withoutTenant(fn);
    },
    migrate: (m) => raw.migrate(m),
    close: () => raw.close(),
  });

  before(async () => {
    raw = createPgliteDatabase({ dataDir: 'memory://' });
    await raw.migrate(authorityMigrations);
    await createClientRegistry(raw).addTenant('acme', new Date(T0));
  });
  after(() => raw.close());

  test('hits inside the bound do no SQL; the bound re-reads', async () => {
    const clock = manualClock(T0);
    const cache = createCachedClientRegistry(createClientRegistry(counted()), {
      clock,
      ttlMs: TTL,
    });
    await cache.addClient(client('hit'), new Date(clock.now()));
    reads.count = 0;
    const first = await cache.getActiveClient('hit');
    assert.equal(first?.id, 'hit');
    assert.equal(await cache.isTenantActive('acme'), true);
    assert.equal(reads.count, 2);
    for (let i = 0; i < 5; i += 1) {
      assert.equal(await cache.getActiveClient('hit'), first);
      assert.equal(await cache.isTenantActive('acme'), true);
    }
    assert.equal(reads.count, 2);
    clock.advance(TTL);
    assert.equal((await cache.getActiveClient('hit'))?.id, 'hit');
    assert.equal(reads.count, 3);
  });

  test('negative answers are not cached (a client added elsewhere works at once)', async () => {
    const clock = manualClock(T0);
    const cache = createCachedClientRegistry(createClientRegistry(counted()), {
      clock,
      ttlMs: TTL,
    });
    assert.equal(await cache.getActiveClient('late'), undefined);
    await createClientRegistry(raw).addClient(client('late'), new Date(clock.now())); // "replica B"
    assert.equal((await cache.getActiveClient('late'))?.id, 'late');
  });

  test('a write on this replica drops the cache; disabling revokes up to the bound', async () => {
    const clock = manualClock(T0);
    const cache = createCachedClientRegistry(createClientRegistry(raw), { clock, ttlMs: TTL });
    await cache.addClient(client('gone'), new Date(clock.now()));
    assert.equal((await cache.getActiveClient('gone'))?.id, 'gone');
    assert.equal(await cache.disableClient('gone', new Date(clock.now())), true);
    assert.equal(await cache.getActiveClient('gone'), undefined);
    const row = await raw.withoutTenant((tx) =>
      tx.query<{ revoked_at: Date | string }>(
        'SELECT revoked_at FROM authority_clients WHERE id = $1',
        ['gone'],
      ),
    );
    assert.equal(new Date(row.rows[0]!.revoked_at).getTime(), T0 + TTL);
  });

  test('a read in flight across a write is answered but not kept', async () => {
    const clock = manualClock(T0);
    const cache = createCachedClientRegistry(createClientRegistry(raw), { clock, ttlMs: TTL });
    await cache.addClient(client('racy'), new Date(clock.now()));
    const inFlight = cache.getActiveClient('racy'); // queued on PGlite before the write
    const disabled = cache.disableClient('racy', new Date(clock.now()));
    assert.equal((await inFlight)?.id, 'racy');
    assert.equal(await disabled, true);
    assert.equal(await cache.getActiveClient('racy'), undefined);
  });

  test('ttlMs 0 disables caching; negative ttl is refused', async () => {
    const clock = manualClock(T0);
    const cache = createCachedClientRegistry(createClientRegistry(counted()), { clock, ttlMs: 0 });
    reads.count = 0;
    await cache.isTenantActive('acme');
    await cache.isTenantActive('acme');
    assert.equal(reads.count, 2);
    assert.throws(() =>
      createCachedClientRegistry(createClientRegistry(raw), { clock, ttlMs: -1 }),
    );
  });
});
