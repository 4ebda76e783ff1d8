/**
 * Two replicas starting at once (PLATFORM.md §8): concurrent migrate() calls on separate pools
 * both succeed and each migration is applied exactly once (the advisory lock serialises them).
 * The migrations are deliberately NOT idempotent (plain CREATE TABLE), so a double apply fails.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Migration } from '@stella/core';
import { createPgliteDatabase, tenantTable } from '../src/index.ts';
import { sqlBackends } from './helpers/sql-backends.ts';

const migrations: Migration[] = Array.from({ length: 5 }, (_, i) => ({
  id: `race/000${i + 1}-table-${i}`,
  sql: tenantTable(`race_${i}`, 'id int NOT NULL'),
}));

for (const backend of sqlBackends) {
  describe(`concurrent migrate: ${backend.name}`, { skip: backend.skip }, () => {
    it('applies each migration once when replicas migrate together', async () => {
      const opened = await backend.open();
      try {
        const replicas = [opened.db, opened.another(), opened.another(), opened.another()];
        await Promise.all(replicas.map((db) => db.migrate(migrations)));
        if (opened.ownerQuery !== undefined) {
          const rows = await opened.ownerQuery(
            "SELECT id, count(*)::int AS n FROM stella_migrations WHERE id LIKE 'race/%' GROUP BY id ORDER BY id",
          );
          assert.deepEqual(
            rows,
            migrations.map((m) => ({ id: m.id, n: 1 })),
          );
        }
        for (const db of replicas) {
          const r = await db.withTenant('acme', (tx) => tx.query('SELECT * FROM race_4'));
          assert.equal(r.rows.length, 0);
        }
      } finally {
        await opened.dispose();
      }
    });
  });
}

describe('migrate on PGlite on disk', () => {
  it('keeps applied migrations across reopen and still refuses an edit', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'stella-pglite-'));
    try {
      const first = createPgliteDatabase({ dataDir: dir });
      await first.migrate(migrations);
      await first.close();
      const second = createPgliteDatabase({ dataDir: dir });
      await second.migrate(migrations);
      const edited = migrations.map((m, i) => (i === 2 ? { ...m, sql: `${m.sql} ` } : m));
      await assert.rejects(second.migrate(edited), (e: unknown) =>
        (e as { message: string }).message.includes('race/0003-table-2'),
      );
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
