/**
 * The migration runner both adapters share. Forward-only and checksummed: each applied migration
 * is recorded in `stella_migrations` with the SHA-256 of its SQL, and a later start whose SQL for
 * an applied id differs refuses (an edited migration means the schema on disk is not the schema
 * the code was reviewed against). The whole run holds a session-level advisory lock so replicas
 * starting together apply each migration exactly once.
 */
import { constantTimeEqual, sha256Hex } from '@stella/core';
import type { Migration, SqlResult } from '@stella/core';
import { storageError } from '../errors.ts';
import { baseMigrations } from './base-migrations.ts';

/** One dedicated connection, outside any transaction (the advisory lock is session-level). */
export interface MigrationSession {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<R>>;
  /** Runs `fn` in a transaction on this connection; `exec` takes multi-statement SQL. */
  transaction(
    fn: (tx: {
      exec(sql: string): Promise<void>;
      query: MigrationSession['query'];
    }) => Promise<void>,
  ): Promise<void>;
}

/** Arbitrary constant naming the migration lock (pg_advisory_lock's bigint key space). */
const MIGRATION_LOCK_KEY = '7264617473686173';
const MIGRATION_ID = /^[a-z0-9][a-z0-9-]*\/[0-9]{4}-[a-z0-9][a-z0-9-]*$/;

export function migrationChecksum(migration: Migration): string {
  return sha256Hex(migration.sql);
}

function assertMigrationList(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (!MIGRATION_ID.test(m.id))
      throw new TypeError(`migration id ${m.id} is not <component>/<nnnn>-<name>`);
    if (seen.has(m.id)) throw new TypeError(`duplicate migration id ${m.id}`);
    seen.add(m.id);
  }
}

export async function runMigrations(
  session: MigrationSession,
  appRole: string,
  migrations: readonly Migration[],
): Promise<void> {
  const all = [...baseMigrations(appRole), ...migrations];
  assertMigrationList(all);
  await session.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  try {
    await session.query(
      `CREATE TABLE IF NOT EXISTS stella_migrations (
         id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = await session.query<{ id: string; checksum: string }>(
      'SELECT id, checksum FROM stella_migrations',
    );
    const checksums = new Map(applied.rows.map((r) => [r.id, r.checksum]));
    // Verify every applied migration before applying anything new.
    for (const m of all) {
      const recorded = checksums.get(m.id);
      if (recorded === undefined) continue;
      const current = migrationChecksum(m);
      if (!constantTimeEqual(Buffer.from(recorded), Buffer.from(current))) {
        throw storageError('migration_checksum_mismatch', {
          description: `applied migration ${m.id} has changed (checksum mismatch); refusing to start`,
          detail: `migration ${m.id}: recorded ${recorded}, code ${current}`,
        });
      }
    }
    for (const m of all) {
      if (checksums.has(m.id)) continue;
      await applyOne(session, m);
    }
  } finally {
    await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
  }
  await assertAppRoleIsConfined(session, appRole);
}

async function applyOne(session: MigrationSession, m: Migration): Promise<void> {
  try {
    await session.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO stella_migrations (id, checksum) VALUES ($1, $2)', [
        m.id,
        migrationChecksum(m),
      ]);
    });
  } catch (error) {
    throw storageError('migration_failed', {
      description: `migration ${m.id} failed`,
      detail: `migration ${m.id}`,
      cause: error,
    });
  }
}

/** Fail closed if the role was created elsewhere with powers that would bypass RLS. */
async function assertAppRoleIsConfined(session: MigrationSession, appRole: string): Promise<void> {
  const role = await session.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
    [appRole],
  );
  const row = role.rows[0];
  if (row === undefined || row.rolsuper || row.rolbypassrls) {
    throw storageError('migration_failed', {
      description: `role ${appRole} must exist and be NOSUPERUSER NOBYPASSRLS`,
      detail: `role ${appRole}`,
    });
  }
}
