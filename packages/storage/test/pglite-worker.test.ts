/**
 * The PGlite engine in a worker thread (pglite-worker.ts): the data survives a reopen of the same
 * directory, PostgreSQL's error fields cross the thread boundary, and a dead worker fails every
 * later call closed (`db_unavailable`) instead of hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStellaError } from '@stella/core';
import { createPgliteDatabase, tenantTable } from '../src/index.ts';
import { inThreadEngine } from '../src/sql/pglite-engine.ts';
import { deserializeError, serializeError, workerEngine } from '../src/sql/pglite-worker.ts';

const items = {
  id: 'test/0001-items',
  sql: tenantTable('items', 'id int NOT NULL, PRIMARY KEY (tenant, id)'),
};

describe('PGlite in a worker thread', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pglite-worker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('persists to its data directory across a close and reopen', async () => {
    const first = createPgliteDatabase({ dataDir: path.join(dir, 'pg'), thread: 'worker' });
    await first.migrate([items]);
    await first.withTenant('acme', (tx) =>
      tx.query('INSERT INTO items VALUES ($1, $2)', ['acme', 7]),
    );
    await first.close();
    const second = createPgliteDatabase({ dataDir: path.join(dir, 'pg'), thread: 'worker' });
    try {
      await second.migrate([items]);
      const r = await second.withTenant('acme', (tx) =>
        tx.query<{ id: number }>('SELECT id FROM items'),
      );
      assert.deepEqual(r.rows, [{ id: 7 }]);
    } finally {
      await second.close();
    }
  });

  it('refuses every call after close, as db_unavailable (fail closed, no hang)', async () => {
    const db = createPgliteDatabase({ dataDir: 'memory://', thread: 'worker' });
    await db.migrate([]);
    await db.close();
    await assert.rejects(
      db.withoutTenant((tx) => tx.query('SELECT 1')),
      (e: unknown) => isStellaError(e) && e.code === 'db_unavailable',
    );
  });

  it('carries the SQLSTATE and constraint fields, and nothing it was not given', () => {
    const original = Object.assign(new Error('duplicate key value violates unique constraint'), {
      name: 'DatabaseError',
      code: '23505',
      constraint: 'items_pkey',
      severity: 'ERROR',
      secretish: { not: 'copied' },
    });
    const copy = deserializeError(structuredClone(serializeError(original)));
    assert.equal(copy.name, 'DatabaseError');
    assert.equal(copy.message, original.message);
    assert.equal((copy as unknown as { code: string }).code, '23505');
    assert.equal((copy as unknown as { constraint: string }).constraint, 'items_pkey');
    assert.equal('secretish' in copy, false);
    assert.deepEqual(serializeError('plain string').fields, {});
  });
});

describe('PGlite engine transaction', () => {
  for (const [name, open] of [
    ['on this thread', () => inThreadEngine('memory://')],
    ['in a worker', () => workerEngine('memory://')],
  ] as const) {
    it(`${name}: a failing scope prologue leaves no transaction open behind it`, async () => {
      const engine = open();
      try {
        // BEGIN runs, then set_config('role', …) fails: the transaction must be rolled back.
        await assert.rejects(
          engine.transaction("BEGIN; SELECT set_config('role', 'no_such_role', true)", []),
          (e: unknown) => (e as { code?: string }).code === '22023',
        );
        const r = await engine.query('SELECT 1 AS x');
        assert.deepEqual(r.rows, [{ x: 1 }]);
      } finally {
        await engine.close();
      }
    });

    it(`${name}: a failing statement reports its own SQLSTATE and commits nothing`, async () => {
      const engine = open();
      try {
        await engine.exec('CREATE TABLE t (a int PRIMARY KEY)');
        const insert = (a: number) => ({ text: 'INSERT INTO t (a) VALUES ($1)', params: [a] });
        // One call: the second statement fails, the third meets an aborted transaction (25P02),
        // the COMMIT rolls back; the caller sees the first failure, 23505.
        await assert.rejects(
          engine.transaction('BEGIN', [insert(1), insert(1), insert(2)]),
          (e: unknown) => (e as { code?: string }).code === '23505',
        );
        assert.deepEqual((await engine.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 0 }]);
        const done = await engine.transaction('BEGIN', [insert(1), insert(2)]);
        assert.deepEqual(
          done.map((r) => r.affectedRows),
          [1, 1],
        );
        assert.deepEqual((await engine.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 2 }]);
      } finally {
        await engine.close();
      }
    });
  }
});
