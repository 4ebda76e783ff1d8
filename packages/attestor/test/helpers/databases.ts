// Real databases for the storage-backed suites: embedded PGlite always, PostgreSQL when
// STELLA_TEST_DATABASE_URL is set (and then it must be reachable: a failure is a test failure).
import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '@stella/core';
import { createPgliteDatabase, createPostgresDatabase } from '@stella/storage';
import { attestorMigrations } from '../../src/migrations.ts';

export interface DatabaseKind {
  readonly name: string;
  readonly skip: string | false;
  open(): Promise<SqlDatabase>;
}

export const databaseKinds: DatabaseKind[] = [
  {
    name: 'pglite',
    skip: false,
    async open() {
      const db = createPgliteDatabase({ dataDir: 'memory://' });
      await db.migrate(attestorMigrations);
      return db;
    },
  },
  {
    name: 'postgres',
    skip: process.env['STELLA_TEST_DATABASE_URL'] ? false : 'set STELLA_TEST_DATABASE_URL',
    async open() {
      const db = createPostgresDatabase({ url: process.env['STELLA_TEST_DATABASE_URL']! });
      await db.migrate(attestorMigrations);
      return db;
    },
  },
];

/** A tenant id unique to this run, so parallel files and reruns never share a log. */
export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
