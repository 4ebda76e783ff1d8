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
import { enterTenantScope, scopedQueryable } from './tenant-scope.ts';

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

  function inScope<T>(tenant: string, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return mutex.run(async () => {
      try {
        return await db.transaction(async (t) => {
          const query = rawQuery(t);
          const scope = scopedQueryable(query);
          try {
            await enterTenantScope(query, appRole, tenant);
            return await fn(scope.tx);
          } finally {
            scope.end();
          }
        });
      } catch (error) {
        throw mapQueryError(error);
      }
    });
  }

  return {
    kind: 'pglite',
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
