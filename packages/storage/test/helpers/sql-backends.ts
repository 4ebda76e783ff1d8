/**
 * The SQL adapters the contract suite runs against: PGlite always, PostgreSQL when configured.
 * Each `open()` returns a fresh, empty database plus a factory for more handles on the SAME
 * database (two replicas).
 */
import pg from 'pg';
import type { SqlDatabase } from '@stella/core';
import { createPgliteDatabase, createPostgresDatabase } from '../../src/index.ts';
import { createTestDatabase, postgresSkip, postgresUrl } from './postgres.ts';

export interface OpenedBackend {
  readonly db: SqlDatabase;
  /** Another handle on the same database (PostgreSQL: a second pool; PGlite: the same handle). */
  another(): SqlDatabase;
  /** PostgreSQL only: a query as the owner, outside RLS (for assertions on bookkeeping tables). */
  ownerQuery?: (text: string) => Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export interface SqlBackend {
  readonly name: string;
  readonly skip: string | false;
  open(): Promise<OpenedBackend>;
}

export const sqlBackends: SqlBackend[] = [
  {
    name: 'pglite',
    skip: false,
    async open() {
      const db = createPgliteDatabase({ dataDir: 'memory://' });
      return { db, another: () => db, dispose: () => db.close() };
    },
  },
  {
    name: 'pglite-worker',
    skip: false,
    async open() {
      const db = createPgliteDatabase({ dataDir: 'memory://', thread: 'worker' });
      return { db, another: () => db, dispose: () => db.close() };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkip.skip,
    async open() {
      const testDb = await createTestDatabase(postgresUrl ?? '');
      const handles: SqlDatabase[] = [];
      const another = () => {
        const h = createPostgresDatabase({ url: testDb.url, poolSize: 4 });
        handles.push(h);
        return h;
      };
      const db = another();
      return {
        db,
        another,
        async ownerQuery(text: string) {
          const c = new pg.Client({ connectionString: testDb.url });
          await c.connect();
          try {
            return (await c.query(text)).rows as Record<string, unknown>[];
          } finally {
            await c.end();
          }
        },
        async dispose() {
          await Promise.all(handles.map((h) => h.close()));
          await testDb.drop();
        },
      };
    },
  },
];
