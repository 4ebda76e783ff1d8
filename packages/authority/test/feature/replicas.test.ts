/**
 * Two Authority replicas sharing one KV store and one database enforce ONE per-client rate limit
 * and ONE replay cache (client-assertion `jti`, DPoP `(jti, htu)`): PLATFORM.md §8. Runs with the
 * in-memory KV shared in-process (the embedded case) always, and with Valkey/Redis when
 * `STELLA_TEST_VALKEY_URL` is set (unique key prefix per run; unreachable → the test fails).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyValueStore, SqlDatabase } from '@stella/core';
import { manualClock } from '@stella/core';
import { createMemoryKv, createPgliteDatabase, createValkeyKv } from '@stella/storage';
import { authorityMigrations } from '@stella/authority';
import {
  FORM,
  T0,
  createHarness,
  dpopProof,
  form,
  keyClientRegistration,
  newDpopKey,
  newKeyClient,
  tokenRequestParams,
} from '../support.ts';
import type { Harness } from '../support.ts';

const valkeyUrl = process.env['STELLA_TEST_VALKEY_URL'];

function replicaSuite(
  name: string,
  makeKv: (clock: ReturnType<typeof manualClock>) => KeyValueStore,
) {
  describe(`two replicas sharing ${name}`, () => {
    const clock = manualClock(T0);
    let db: SqlDatabase;
    let kv: KeyValueStore;
    let a: Harness;
    let b: Harness;

    before(async () => {
      db = createPgliteDatabase({ dataDir: 'memory://' });
      await db.migrate(authorityMigrations);
      kv = makeKv(clock);
      // Replicas resolve the same signing key and nonce secret from the same secret refs.
      const shared = {
        db,
        kv,
        clock,
        migrate: false,
        signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        nonceSecret: randomBytes(32),
        config: { tokenClientLimit: { limit: 3, windowMs: 60_000 } },
      };
      a = await createHarness(shared);
      b = await createHarness(shared);
      await a.service.admin.addTenant('acme');
    });
    after(async () => {
      await a.close();
      await b.close();
      await kv.close();
      await db.close();
    });

    const post = (h: Harness, params: Record<string, string>, dpop: string) =>
      h.service.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': FORM, dpop },
        payload: form(params),
      });

    test('one per-client limit across both replicas', async () => {
      const client = await newKeyClient(`limited-${randomBytes(4).toString('hex')}`);
      await a.service.admin.addClient(keyClientRegistration(client));
      const key = await newDpopKey();
      const statuses: number[] = [];
      for (const h of [a, b, a, b]) {
        const res = await post(
          h,
          await tokenRequestParams(client, clock),
          await dpopProof(key, clock),
        );
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = b.audit.events.filter((e) => e.type === 'authority.token.rate_limited');
      assert.equal(limited.length, 1);
      assert.equal(limited[0]?.properties?.['step'], 'limitClient');
    });

    test('a client assertion used on one replica is refused on the other', async () => {
      const client = await newKeyClient(`replay-${randomBytes(4).toString('hex')}`);
      await a.service.admin.addClient(keyClientRegistration(client));
      const key = await newDpopKey();
      const params = await tokenRequestParams(client, clock);
      assert.equal((await post(a, params, await dpopProof(key, clock))).statusCode, 200);
      const replay = await post(b, params, await dpopProof(key, clock));
      assert.equal(replay.statusCode, 401);
      assert.deepEqual(replay.json(), {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    });

    test('a DPoP proof used on one replica is refused on the other', async () => {
      const client = await newKeyClient(`proof-${randomBytes(4).toString('hex')}`);
      await a.service.admin.addClient(keyClientRegistration(client));
      const proof = await dpopProof(await newDpopKey(), clock);
      assert.equal((await post(a, await tokenRequestParams(client, clock), proof)).statusCode, 200);
      const replay = await post(b, await tokenRequestParams(client, clock), proof);
      assert.equal(replay.statusCode, 400);
      assert.deepEqual(replay.json(), {
        error: 'invalid_dpop_proof',
        error_description: 'the DPoP proof is invalid',
      });
    });

    test('a client disabled on one replica: refused there at once, on the other within clientCacheMs', async () => {
      const client = await newKeyClient(`disabled-${randomBytes(4).toString('hex')}`);
      await a.service.admin.addClient(keyClientRegistration(client));
      const key = await newDpopKey();
      const token = async (h: Harness) =>
        (await post(h, await tokenRequestParams(client, clock), await dpopProof(key, clock)))
          .statusCode;
      assert.equal(await token(a), 200); // replica A now holds the active record in its cache
      assert.equal(await b.service.admin.disableClient(client.id), true);
      assert.equal(await token(b), 401, 'the replica that disabled refuses immediately');
      // Documented bound: replica A may still serve its cached record until clientCacheMs.
      clock.advance(a.service.config.clientCacheMs);
      assert.equal(await token(a), 401, 'refused on the other replica after the bound');
      // The bundle revokes tokens up to the bound, so anything A issued meanwhile is revoked.
      const bundle = await a.service.app.inject({ method: 'GET', url: '/revocations' });
      const payload = JSON.parse(
        Buffer.from(bundle.body.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as { clients: { client_id: string; revokedAt: number }[] };
      const entry = payload.clients.find((c) => c.client_id === client.id);
      assert.ok(entry !== undefined);
      // Disabled at T (= now - clientCacheMs) with revokedAt = T + clientCacheMs = now.
      assert.equal(entry.revokedAt, Math.floor(clock.now() / 1000));
      clock.advance(1_000);
    });

    test('a tenant disabled on one replica is refused on the other within clientCacheMs', async () => {
      const tenant = `t-${randomBytes(4).toString('hex')}`;
      await a.service.admin.addTenant(tenant);
      const client = await newKeyClient(`tenant-${randomBytes(4).toString('hex')}`);
      await a.service.admin.addClient(keyClientRegistration(client, { tenants: [tenant] }));
      const key = await newDpopKey();
      const token = async (h: Harness) =>
        (await post(h, await tokenRequestParams(client, clock), await dpopProof(key, clock)))
          .statusCode;
      assert.equal(await token(a), 200);
      assert.equal(await b.service.admin.disableTenant(tenant), true);
      assert.equal(await token(b), 400);
      clock.advance(a.service.config.clientCacheMs);
      assert.equal(await token(a), 400);
      clock.advance(1_000);
    });
  });
}

replicaSuite('the in-memory KV (embedded)', (clock) => createMemoryKv({ clock }));

if (valkeyUrl === undefined) {
  test('two replicas sharing Valkey', { skip: 'set STELLA_TEST_VALKEY_URL' }, () => undefined);
} else {
  const prefix = `authority-test:${Date.now().toString(36)}-${randomBytes(6).toString('hex')}:`;
  replicaSuite('Valkey', () => createValkeyKv({ url: valkeyUrl, keyPrefix: prefix }));
}
