/**
 * SQL port contract, run against every adapter (PGlite always; PostgreSQL when configured):
 * tenant isolation by RLS, append-only enforcement, checksummed forward-only migrations.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Migration } from '@stella/core';
import { tenantTable } from '../src/index.ts';
import { sqlBackends } from './helpers/sql-backends.ts';
import type { OpenedBackend } from './helpers/sql-backends.ts';

const notes: Migration = {
  id: 'test/0001-notes',
  sql: tenantTable('notes', 'id int NOT NULL, body text NOT NULL, PRIMARY KEY (tenant, id)'),
};
const journal: Migration = {
  id: 'test/0002-journal',
  sql: tenantTable('journal', 'seq int NOT NULL, body text NOT NULL', { appendOnly: true }),
};
// Simulates a mistaken GRANT: the trigger must still refuse mutation of an append-only table.
const ledger: Migration = {
  id: 'test/0003-ledger',
  sql:
    tenantTable('ledger', 'seq int NOT NULL', { appendOnly: true }) +
    'GRANT UPDATE, DELETE ON ledger TO stella_app;',
};

function hasCode(code: string) {
  return (error: unknown) => (error as { code?: unknown }).code === code;
}

for (const backend of sqlBackends) {
  describe(`SQL contract: ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    before(async () => {
      opened = await backend.open();
      await opened.db.migrate([notes, journal, ledger]);
      await opened.db.withTenant('acme', (tx) =>
        tx.query(
          "INSERT INTO notes (tenant, id, body) VALUES ('acme', 1, 'a1'), ('acme', 2, 'a2')",
        ),
      );
      await opened.db.withTenant('globex', (tx) =>
        tx.query("INSERT INTO notes (tenant, id, body) VALUES ('globex', 1, 'g1')"),
      );
    });
    after(async () => opened?.dispose());

    it('runs tenant transactions as the application role', async () => {
      const r = await opened.db.withTenant('acme', (tx) =>
        tx.query<{ u: string; t: string }>(
          "SELECT current_user AS u, current_setting('stella.tenant') AS t",
        ),
      );
      assert.deepEqual(r.rows, [{ u: 'stella_app', t: 'acme' }]);
    });

    it('shows each tenant only its own rows', async () => {
      const acme = await opened.db.withTenant('acme', (tx) =>
        tx.query<{ body: string }>('SELECT body FROM notes ORDER BY id'),
      );
      assert.deepEqual(
        acme.rows.map((r) => r.body),
        ['a1', 'a2'],
      );
      const globex = await opened.db.withTenant('globex', (tx) =>
        tx.query<{ body: string }>("SELECT body FROM notes WHERE tenant = 'acme'"),
      );
      assert.deepEqual(globex.rows, []);
    });

    it('refuses a cross-tenant INSERT', async () => {
      await assert.rejects(
        opened.db.withTenant('globex', (tx) =>
          tx.query("INSERT INTO notes (tenant, id, body) VALUES ('acme', 9, 'forged')"),
        ),
        hasCode('db_permission_denied'),
      );
    });

    it('refuses moving a row to another tenant and cannot touch foreign rows', async () => {
      await assert.rejects(
        opened.db.withTenant('acme', (tx) =>
          tx.query("UPDATE notes SET tenant = 'globex' WHERE id = 1"),
        ),
        hasCode('db_permission_denied'),
      );
      const updated = await opened.db.withTenant('globex', (tx) =>
        tx.query("UPDATE notes SET body = 'x' WHERE tenant = 'acme'"),
      );
      assert.equal(updated.rowCount, 0);
      const deleted = await opened.db.withTenant('globex', (tx) =>
        tx.query("DELETE FROM notes WHERE tenant = 'acme'"),
      );
      assert.equal(deleted.rowCount, 0);
    });

    it('shows nothing and inserts nothing without a tenant', async () => {
      const r = await opened.db.withoutTenant((tx) => tx.query('SELECT * FROM notes'));
      assert.equal(r.rows.length, 0);
      await assert.rejects(
        opened.db.withoutTenant((tx) =>
          tx.query("INSERT INTO notes (tenant, id, body) VALUES ('', 5, 'x')"),
        ),
        (e: unknown) => ['db_permission_denied', '23514'].includes((e as { code: string }).code),
      );
    });

    it('refuses malformed tenant ids before touching the database', async () => {
      for (const bad of ['', 'ACME', '-a', 'a'.repeat(64), "a'; --", '_other']) {
        await assert.rejects(
          opened.db.withTenant(bad, async () => undefined),
          hasCode('invalid_tenant'),
        );
      }
    });

    it('rolls back when the callback throws, and passes the error through', async () => {
      const boom = new Error('boom');
      await assert.rejects(
        opened.db.withTenant('acme', async (tx) => {
          await tx.query("INSERT INTO notes (tenant, id, body) VALUES ('acme', 7, 'x')");
          throw boom;
        }),
        (e) => e === boom,
      );
      const r = await opened.db.withTenant('acme', (tx) =>
        tx.query('SELECT 1 FROM notes WHERE id = 7'),
      );
      assert.equal(r.rows.length, 0);
    });

    it('refuses UPDATE and DELETE on an append-only table (no grant)', async () => {
      await opened.db.withTenant('acme', (tx) =>
        tx.query("INSERT INTO journal (tenant, seq, body) VALUES ('acme', 1, 'j')"),
      );
      await assert.rejects(
        opened.db.withTenant('acme', (tx) => tx.query("UPDATE journal SET body = 'x'")),
        hasCode('db_permission_denied'),
      );
      await assert.rejects(
        opened.db.withTenant('acme', (tx) => tx.query('DELETE FROM journal')),
        hasCode('db_permission_denied'),
      );
    });

    it('refuses UPDATE and DELETE on an append-only table even when granted (trigger)', async () => {
      await opened.db.withTenant('acme', (tx) =>
        tx.query("INSERT INTO ledger (tenant, seq) VALUES ('acme', 1)"),
      );
      await assert.rejects(
        opened.db.withTenant('acme', (tx) => tx.query('UPDATE ledger SET seq = 2')),
        hasCode('append_only_violation'),
      );
      await assert.rejects(
        opened.db.withTenant('acme', (tx) => tx.query('DELETE FROM ledger')),
        hasCode('append_only_violation'),
      );
      const r = await opened.db.withTenant('acme', (tx) =>
        tx.query<{ seq: number }>('SELECT seq FROM ledger'),
      );
      assert.deepEqual(r.rows, [{ seq: 1 }]);
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      const leaked = await opened.db.withTenant('acme', async (tx) => tx);
      await assert.rejects(leaked.query('SELECT 1'), TypeError);
    });

    it('is idempotent: re-running the same migrations changes nothing', async () => {
      await opened.db.migrate([notes, journal, ledger]);
      await opened.another().migrate([notes, journal, ledger]);
    });

    it('refuses to start when an applied migration changed, naming it', async () => {
      const edited: Migration = { id: notes.id, sql: `${notes.sql}\n-- edited` };
      await assert.rejects(opened.db.migrate([edited, journal, ledger]), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === 'migration_checksum_mismatch' && err.message.includes('test/0001-notes')
        );
      });
    });

    it('refuses malformed or duplicate migration ids', async () => {
      await assert.rejects(opened.db.migrate([{ id: 'no-slash', sql: 'SELECT 1' }]), TypeError);
      await assert.rejects(opened.db.migrate([notes, notes]), TypeError);
    });

    it('reports a failing migration by id and records nothing for it', async () => {
      const broken: Migration = { id: 'test/0004-broken', sql: 'CREATE TABLE x (; ' };
      await assert.rejects(opened.db.migrate([notes, journal, ledger, broken]), (e: unknown) => {
        const err = e as { code: string; message: string };
        return err.code === 'migration_failed' && err.message.includes('test/0004-broken');
      });
      const fixed: Migration = { id: 'test/0004-broken', sql: 'CREATE TABLE fixed_later (x int)' };
      await opened.db.migrate([notes, journal, ledger, fixed]);
    });

    // The one-hop transaction (optional in the port; every adapter here has it): same scope
    // and RLS as withTenant.
    const runInTenant = (tenant: string, statements: { text: string; params?: unknown[] }[]) => {
      const run = opened.db.runInTenant;
      if (run === undefined) throw new Error('adapter has no runInTenant');
      return run.call(opened.db, tenant, statements);
    };

    it('runInTenant: runs its statements in the tenant scope, as the application role', async () => {
      const [who, inserted] = await runInTenant('acme', [
        { text: "SELECT current_user AS u, current_setting('stella.tenant') AS t" },
        {
          text: 'INSERT INTO notes (tenant, id, body) VALUES ($1, $2, $3)',
          params: ['acme', 20, 'r'],
        },
      ]);
      assert.deepEqual(who?.rows, [{ u: 'stella_app', t: 'acme' }]);
      assert.equal(inserted?.rowCount, 1);
      const seen = await opened.db.withTenant('globex', (tx) =>
        tx.query("SELECT 1 FROM notes WHERE tenant = 'acme' AND id = 20"),
      );
      assert.deepEqual(seen.rows, []);
    });

    it('runInTenant: refuses a cross-tenant INSERT and rolls back the whole transaction', async () => {
      await assert.rejects(
        runInTenant('globex', [
          { text: "INSERT INTO notes (tenant, id, body) VALUES ('globex', 30, 'kept?')" },
          { text: "INSERT INTO notes (tenant, id, body) VALUES ('acme', 31, 'forged')" },
        ]),
        hasCode('db_permission_denied'),
      );
      const r = await opened.db.withTenant('globex', (tx) =>
        tx.query('SELECT id FROM notes WHERE id = 30'),
      );
      assert.deepEqual(r.rows, [], 'the first statement was rolled back with the second');
    });

    it('runInTenant: keeps the SQLSTATE of a failed statement, and the connection usable', async () => {
      await assert.rejects(
        runInTenant('acme', [
          { text: "INSERT INTO notes (tenant, id, body) VALUES ('acme', 1, 'duplicate')" },
        ]),
        hasCode('23505'),
      );
      await assert.rejects(runInTenant('Not A Tenant', []), hasCode('invalid_tenant'));
      const [r] = await runInTenant('acme', [{ text: 'SELECT count(*)::int AS n FROM notes' }]);
      assert.ok(((r?.rows[0] as { n: number } | undefined)?.n ?? 0) >= 2);
    });
  });
}
