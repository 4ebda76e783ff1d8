/**
 * Embedded PGlite adapter: the same migrations and the same `SET LOCAL ROLE` + RLS as PostgreSQL,
 * so the single-binary default enforces tenancy exactly like a real deployment. PGlite is a single
 * connection, so every transaction and migration run is serialised through a mutex. The engine
 * runs on this thread or, with `thread: 'worker'`, in a worker thread (pglite-worker.ts).
 */
import type { Migration, SqlDatabase, SqlQueryable, SqlResult } from '@stella/core';
import { assertTenantId } from '../tenant-id.ts';
import { DEFAULT_APP_ROLE, assertRoleName } from './app-role.ts';
import { runMigrations } from './migrate.ts';
import type { MigrationSession } from './migrate.ts';
import { createMutex } from './mutex.ts';
import { mapDriverError, mapQueryError } from './sql-errors.ts';
import { scopedQueryable } from './tenant-scope.ts';
import { inThreadEngine } from './pglite-engine.ts';
import type { EngineResult, PgliteEngine } from './pglite-engine.ts';
import { workerEngine } from './pglite-worker.ts';
import { storageError } from '../errors.ts';

export interface PgliteDatabaseOptions {
  /** A directory on disk, or `memory://` (tests only: nothing survives close). */
  readonly dataDir: string;
  /** Role every tenant transaction runs as. Default `stella_app`. */
  readonly appRole?: string;
  /**
   * Where the engine runs: `'main'` (default) on the calling thread, `'worker'` in a worker
   * thread, keeping the database's WASM work off the event loop (`stella up`'s
   * `embeddedDatabaseThread: worker`).
   */
  readonly thread?: 'main' | 'worker';
}

function toSqlResult(result: EngineResult): SqlResult<Record<string, unknown>> {
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}

export function createPgliteDatabase(options: PgliteDatabaseOptions): SqlDatabase {
  const appRole = assertRoleName(options.appRole ?? DEFAULT_APP_ROLE);
  const engine: PgliteEngine =
    options.thread === 'worker' ? workerEngine(options.dataDir) : inThreadEngine(options.dataDir);
  const mutex = createMutex();

  /**
   * A tenant transaction in three kinds of engine call (see pglite-wire.ts): one simple-query
   * batch `BEGIN; SELECT set_config('role', …, true), set_config('stella.tenant', …, true)`,
   * one call per statement, one `COMMIT`. Inlining role and tenant is safe ONLY because both are
   * validated identifiers before they get here (`assertRoleName` at construction,
   * `assertTenantId` in `withTenant`; `withoutTenant` passes ''); PostgreSQL keeps bound
   * parameters. The adapter's mutex makes this the connection's only user meanwhile.
   */
  function beginScope(tenant: string): string {
    // Re-checked here, next to the inlining, so no future caller can bypass it (fail closed).
    if (tenant !== '') assertTenantId(tenant);
    return `BEGIN; SELECT set_config('role', '${appRole}', true), set_config('stella.tenant', '${tenant}', true)`;
  }

  function inScope<T>(tenant: string, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const begin = beginScope(tenant);
    return mutex.run(async () => {
      try {
        await engine.execBatch(begin);
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
        tags = await engine.execBatch('COMMIT');
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
      return toSqlResult(await engine.query(text, params));
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  async function typedQuery(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Record<string, unknown>>> {
    try {
      return toSqlResult(await engine.typedQuery(text, params));
    } catch (error) {
      throw mapDriverError(error);
    }
  }

  async function rollbackQuietly(): Promise<void> {
    try {
      await engine.execBatch('ROLLBACK');
    } catch {
      // Nothing to roll back (BEGIN never ran) or the engine is gone: the original error wins.
    }
  }

  return {
    kind: 'pglite',
    // Every transaction runs under `mutex`, and PGlite owns its data directory (one process).
    exclusiveTransactions: true,
    async withTenant(tenant, fn) {
      // '' would mean "no tenant" to inScope: refused here, so only withoutTenant gets it.
      assertTenantId(tenant);
      return inScope(tenant, fn);
    },
    withoutTenant(fn) {
      return inScope('', fn);
    },
    async runInTenant(tenant, statements) {
      assertTenantId(tenant); // as withTenant: '' is not a tenant
      const begin = beginScope(tenant);
      return mutex.run(async () => {
        try {
          return (await engine.transaction(begin, statements)).map(toSqlResult);
        } catch (error) {
          throw mapDriverError(error);
        }
      });
    },
    migrate(migrations: readonly Migration[]) {
      const query = typedQuery as MigrationSession['query'];
      const session: MigrationSession = {
        query,
        // What PGlite's own `transaction()` does, on the connection this mutex holder owns.
        async transaction(fn) {
          await engine.execBatch('BEGIN');
          try {
            await fn({ exec: (sql) => engine.exec(sql), query });
          } catch (error) {
            await rollbackQuietly();
            throw error;
          }
          const tags = await engine.execBatch('COMMIT');
          if (tags[0] !== 'COMMIT') {
            throw storageError('migration_failed', { detail: 'transaction aborted' });
          }
        },
      };
      return mutex.run(() => runMigrations(session, appRole, migrations));
    },
    async close() {
      await mutex.run(() => engine.close());
    },
  };
}
