/**
 * Row-level security of the Authority's tenant-owned table (`authority_revoked_tokens`): one
 * tenant's rows are invisible and unwritable from another tenant's transaction and from a
 * transaction with no tenant. On embedded PGlite always; on PostgreSQL (a fresh database created
 * for this run, dropped afterwards) when `STELLA_TEST_DATABASE_URL` is set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SqlDatabase } from '@stella/core';
import { createPgliteDatabase, createPostgresDatabase } from '@stella/storage';
import { authorityMigrations } from '@stella/authority';

const databaseUrl = process.env['STELLA_TEST_DATABASE_URL'];

const insert = `INSERT INTO authority_revoked_tokens (tenant, jti, client_id, exp, revoked_at)
  VALUES ($1, $2, 'c1', '2030-01-01T00:00:00Z', '2025-01-01T00:00:00Z')`;

function rlsSuite(name: string, open: () => Promise<{ db: SqlDatabase; drop(): Promise<void> }>) {
  describe(`RLS on authority_revoked_tokens (${name})`, () => {
    let db: SqlDatabase;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await open());
      await db.migrate(authorityMigrations);
      await db.withTenant('acme', (tx) => tx.query(insert, ['acme', 'jti-acme']));
      await db.withTenant('globex', (tx) => tx.query(insert, ['globex', 'jti-globex']));
    });
    after(async () => {
      await db.close();
      await drop();
    });

    test("a tenant sees only its own rows, even when it asks for another's", async () => {
      const rows = await db.withTenant('acme', (tx) =>
        tx.query<{ jti: string }>('SELECT jti FROM authority_revoked_tokens ORDER BY jti'),
      );
      assert.deepEqual(
        rows.rows.map((r) => r.jti),
        ['jti-acme'],
      );
      const other = await db.withTenant('acme', (tx) =>
        tx.query("SELECT jti FROM authority_revoked_tokens WHERE tenant = 'globex'"),
      );
      assert.equal(other.rows.length, 0);
    });

    test('no tenant in scope: no rows visible, none writable', async () => {
      const rows = await db.withoutTenant((tx) =>
        tx.query('SELECT jti FROM authority_revoked_tokens'),
      );
      assert.equal(rows.rows.length, 0);
      await assert.rejects(db.withoutTenant((tx) => tx.query(insert, ['acme', 'jti-x'])));
    });

    test("a tenant cannot write, delete or re-tenant another tenant's rows", async () => {
      await assert.rejects(db.withTenant('acme', (tx) => tx.query(insert, ['globex', 'jti-y'])));
      const deleted = await db.withTenant('acme', (tx) =>
        tx.query("DELETE FROM authority_revoked_tokens WHERE tenant = 'globex'"),
      );
      assert.equal(deleted.rowCount, 0);
      const still = await db.withTenant('globex', (tx) =>
        tx.query<{ jti: string }>('SELECT jti FROM authority_revoked_tokens'),
      );
      assert.deepEqual(
        still.rows.map((r) => r.jti),
        ['jti-globex'],
      );
    });
  });
}

rlsSuite('PGlite', async () => ({
  db: createPgliteDatabase({ dataDir: 'memory://' }),
  drop: async () => undefined,
}));

if (databaseUrl === undefined) {
  test('RLS on PostgreSQL', { skip: 'set STELLA_TEST_DATABASE_URL' }, () => undefined);
} else {
  rlsSuite('PostgreSQL', async () => {
    // A database of our own: parallel test files and other packages never see these tables.
    const name = `authority_rls_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    return {
      db: createPostgresDatabase({ url: url.toString() }),
      async drop() {
        const cleanup = new pg.Client({ connectionString: databaseUrl });
        await cleanup.connect();
        await cleanup.query(`DROP DATABASE IF EXISTS ${name}`);
        await cleanup.end();
      },
    };
  });
}
