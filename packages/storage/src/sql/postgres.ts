/**
 * PostgreSQL adapter (`pg` Pool). Migrations run as the connecting (owner) user on one dedicated
 * client holding a session-level advisory lock; every tenant transaction runs as the application
 * role with `stella.tenant` set (tenant-scope.ts).
 */
import pg from 'pg';
import type { Migration, SqlDatabase, SqlQueryable, SqlResult } from '@stella/core';
import { storageError } from '../errors.ts';
import { assertTenantId } from '../tenant-id.ts';
import { DEFAULT_APP_ROLE, assertRoleName } from './app-role.ts';
import { runMigrations } from './migrate.ts';
import type { MigrationSession } from './migrate.ts';
import { mapDriverError } from './sql-errors.ts';
import { enterTenantScope, scopedQueryable } from './tenant-scope.ts';

export interface PostgresDatabaseOptions {
  /** `postgres://user@host:port/db` — a secret-bearing URL; never logged. */
  readonly url: string;
  /** Role every tenant transaction runs as (NOSUPERUSER NOBYPASSRLS). Default `stella_app`. */
  readonly appRole?: string;
  /** Maximum pooled connections. Default 10. */
  readonly poolSize?: number;
  /** Milliseconds to wait for a connection before `db_unavailable`. Default 5000. */
  readonly connectTimeoutMs?: number;
}

type RawQuery = (
  text: string,
  params?: readonly unknown[],
) => Promise<SqlResult<Record<string, unknown>>>;

function rawQuery(client: pg.PoolClient): RawQuery {
  return async (text, params) => {
    try {
      const result = await client.query(text, params === undefined ? undefined : [...params]);
      return { rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw mapDriverError(error);
    }
  };
}

export function createPostgresDatabase(options: PostgresDatabaseOptions): SqlDatabase {
  const appRole = assertRoleName(options.appRole ?? DEFAULT_APP_ROLE);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  });
  // An idle client losing its socket emits 'error' on the pool; without a listener Node exits.
  pool.on('error', () => undefined);

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw storageError('db_unavailable', { cause: error });
    }
  }

  async function inScope<T>(tenant: string, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const client = await connect();
    const query = rawQuery(client);
    const scope = scopedQueryable(query);
    let broken: unknown;
    try {
      await query('BEGIN');
      await enterTenantScope(query, appRole, tenant);
      const value = await fn(scope.tx);
      await query('COMMIT');
      return value;
    } catch (error) {
      try {
        await query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError; // connection is unusable: destroy it rather than pool it
      }
      throw error;
    } finally {
      scope.end();
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  return {
    kind: 'postgres',
    async withTenant(tenant, fn) {
      assertTenantId(tenant);
      return inScope(tenant, fn);
    },
    withoutTenant(fn) {
      return inScope('', fn);
    },
    // One transaction, statement by statement: a pooled connection has no cheaper path.
    async runInTenant(tenant, statements) {
      assertTenantId(tenant);
      return inScope(tenant, async (tx) => {
        const results: SqlResult<Record<string, unknown>>[] = [];
        for (const s of statements) results.push(await tx.query(s.text, s.params));
        return results;
      });
    },
    async migrate(migrations: readonly Migration[]) {
      const client = await connect();
      const query = rawQuery(client);
      const session: MigrationSession = {
        query: query as MigrationSession['query'],
        async transaction(fn) {
          await query('BEGIN');
          try {
            await fn({ exec: async (sql) => void (await query(sql)), query: session.query });
            await query('COMMIT');
          } catch (error) {
            await query('ROLLBACK');
            throw error;
          }
        },
      };
      let failed: unknown;
      try {
        await runMigrations(session, appRole, migrations);
      } catch (error) {
        failed = error;
        throw error;
      } finally {
        // On failure destroy the client: it may still hold the session-level advisory lock.
        client.release(failed === undefined ? undefined : true);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
