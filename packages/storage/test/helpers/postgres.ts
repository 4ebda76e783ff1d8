/**
 * Per-run PostgreSQL isolation for the shared server: each caller gets a fresh database named
 * `stella_t_<random>` (dropped again by `drop()`), so parallel test files never share tables.
 * Unset STELLA_TEST_DATABASE_URL → the suite is skipped; set but unreachable → it fails.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const postgresUrl = process.env.STELLA_TEST_DATABASE_URL;
export const postgresSkip: { skip: string } | { skip: false } = postgresUrl
  ? { skip: false }
  : { skip: 'set STELLA_TEST_DATABASE_URL' };

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `stella_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
