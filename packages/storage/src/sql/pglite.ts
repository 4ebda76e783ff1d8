/**
 * Embedded PGlite adapter: the same migrations and the same `SET LOCAL ROLE` + RLS as PostgreSQL,
 * so the single-binary default enforces tenancy exactly like a real deployment. PGlite is a single
 * connection, so every transaction and migration run is serialised through a mutex.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import type { Migration, SqlDatabase, SqlQueryable, SqlResult } from '@stella/core';
import { assertTenantId } from '../tenant-id.ts';
import { DEFAULT_APP_ROLE, assertRoleName } from './app-role.ts';
import { runMigrations } from './migrate.ts';
import type { MigrationSession } from './migrate.ts';
import { createMutex } from './mutex.ts';
import { mapDriverError, mapQueryError } from './sql-errors.ts';
import { scopedQueryable } from './tenant-scope.ts';
import { execOneCall, queryOneCall } from './pglite-wire.ts';
import { storageError } from '../errors.ts';

export interface PgliteDatabaseOptions {
  /** A directory on disk, or `memory://` (tests only: nothing survives close). */
  readonly dataDir: string;
  /** Role every tenant transaction runs as. Default `stella_app`. */
  readonly appRole?: string;
}

type Queryable = Pick<PGlite, 'query'> | Transaction;

function rawQuery(q: Queryable) {
  return async (
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Record<string, unknown>>> => {
    try {
      const result = await q.query<Record<string, unknown>>(
        text,
        params === undefined ? undefined : [...params],
      );
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    } catch (error) {
      throw mapDriverError(error);
    }
  };
}

export function createPgliteDatabase(options: PgliteDatabaseOptions): SqlDatabase {
  const appRole = assertRoleName(options.appRole ?? DEFAULT_APP_ROLE);
  const db = new PGlite(options.dataDir);
  const mutex = createMutex();

  /**
   * A tenant transaction in three kinds of engine call (see pglite-wire.ts): one simple-query
   * batch `BEGIN; SELECT set_config('role', …, true), set_config('stella.tenant', …, true)`,
   * one call per statement, one `COMMIT`. Inlining role and tenant is safe ONLY because both are
   * validated identifiers before they get here (`assertRoleName` at construction,
   * `assertTenantId` in `withTenant`; `withoutTenant` passes ''); PostgreSQL keeps bound
   * parameters. The adapter's mutex makes this the connection's only user meanwhile.
   */
  function inScope<T>(tenant: string, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    // Re-checked here, next to the inlining, so no future caller can bypass it (fail closed).
    if (tenant !== '') assertTenantId(tenant);
    return mutex.run(async () => {
      try {
        await db.waitReady;
        await execOneCall(
          db,
          `BEGIN; SELECT set_config('role', '${appRole}', true), set_config('stella.tenant', '${tenant}', true)`,
        );
      } catch (error) {
        await rollbackQuietly();
        throw mapDriverError(error);
      }
      const scope = scopedQueryable(oneCallQuery);
      let result: T;
      try {
        result = await fn(scope.tx);
      } catch (error) {
        scope.end();
        await rollbackQuietly();
        throw mapQueryError(error);
      }
      scope.end();
      let tags: string[];
      try {
        tags = await execOneCall(db, 'COMMIT');
      } catch (error) {
        await rollbackQuietly();
        throw mapDriverError(error);
      }
      // COMMIT of a transaction that failed (an error the caller swallowed) reports ROLLBACK.
      if (tags[0] !== 'COMMIT') {
        throw storageError('db_unavailable', { detail: 'transaction aborted' });
      }
      return result;
    });
  }

  async function oneCallQuery(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Record<string, unknown>>> {
    try {
      const result = await queryOneCall<Record<string, unknown>>(db, text, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  async function rollbackQuietly(): Promise<void> {
    try {
      await execOneCall(db, 'ROLLBACK');
    } catch {
      // Nothing to roll back (BEGIN never ran) or the engine is gone: the original error wins.
    }
  }

  return {
    kind: 'pglite',
    // Every transaction runs under `mutex`, and PGlite owns its data directory (one process).
    exclusiveTransactions: true,
    async withTenant(tenant, fn) {
      assertTenantId(tenant);
      return inScope(tenant, fn);
    },
    withoutTenant(fn) {
      return inScope('', fn);
    },
    migrate(migrations: readonly Migration[]) {
      const session: MigrationSession = {
        query: rawQuery(db) as MigrationSession['query'],
        async transaction(fn) {
          await db.transaction(async (t) => {
            await fn({
              exec: async (sql) => void (await t.exec(sql)),
              query: rawQuery(t) as MigrationSession['query'],
            });
          });
        },
      };
      return mutex.run(() => runMigrations(session, appRole, migrations));
    },
    async close() {
      await mutex.run(() => db.close());
    },
  };
}
