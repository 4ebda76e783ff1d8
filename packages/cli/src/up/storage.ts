import path from 'node:path';
import { isStellaError } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import type { KeyValueStore, ObjectStore, SqlDatabase, Clock } from '@stella/core';
import {
  createPgliteDatabase,
  createPostgresDatabase,
  createMemoryKv,
  createValkeyKv,
  createFsObjectStore,
} from '@stella/storage';
import { authorityMigrations } from '@stella/authority';
import { attestorMigrations } from '@stella/attestor';
import { signerMigrations } from '@stella/signer';
import { gatewayMigrations } from '@stella/gateway';
import type { DataDirLayout } from './data-dir.ts';

export interface PlatformStorage {
  db: SqlDatabase;
  kv: KeyValueStore;
  objects: ObjectStore;
  describe: { database: string; kv: string; objects: string };
  close(): Promise<void>;
}

/** Redacts the password of a connection URL for display (never log credentials). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * The stateful infrastructure of `stella up`: PGlite + filesystem objects + in-memory KV under the
 * data dir, or PostgreSQL / Valkey when their URLs are configured. Every migration (storage's
 * base schema, then each service's) runs here, under the migration runner's advisory lock.
 */
export async function openPlatformStorage(
  layout: DataDirLayout,
  options: {
    databaseUrl?: string | undefined;
    valkeyUrl?: string | undefined;
    /** Embedded PGlite on this thread (default) or in a worker thread. */
    embeddedThread?: 'main' | 'worker';
    clock: Clock;
  },
): Promise<PlatformStorage> {
  const db =
    options.databaseUrl === undefined
      ? createPgliteDatabase({ dataDir: layout.db, thread: options.embeddedThread ?? 'main' })
      : createPostgresDatabase({ url: options.databaseUrl });
  const kv =
    options.valkeyUrl === undefined
      ? createMemoryKv({ clock: options.clock })
      : createValkeyKv({ url: options.valkeyUrl, keyPrefix: 'stella:' });
  try {
    // storage's base schema (role, audit table, triggers) is applied first by migrate() itself.
    await db.migrate([
      ...authorityMigrations,
      ...attestorMigrations,
      ...signerMigrations,
      ...gatewayMigrations,
    ]);
  } catch (error) {
    await kv.close().catch(() => {});
    await db.close().catch(() => {});
    if (
      isStellaError(error) &&
      error.code === 'db_unavailable' &&
      options.databaseUrl !== undefined
    ) {
      throw new UsageError(
        `cannot reach PostgreSQL at ${displayUrl(options.databaseUrl)}: check that it runs and STELLA_DATABASE_URL is right, or unset it to use the embedded PGlite`,
      );
    }
    throw error;
  }
  return {
    db,
    kv,
    objects: createFsObjectStore({ dir: layout.objects }),
    describe: {
      database:
        options.databaseUrl === undefined
          ? `PGlite (embedded) at ${path.relative(process.cwd(), layout.db) || layout.db}`
          : `PostgreSQL ${displayUrl(options.databaseUrl)}`,
      kv:
        options.valkeyUrl === undefined
          ? 'in-memory (single process)'
          : `Valkey ${displayUrl(options.valkeyUrl)}`,
      objects: `filesystem CAS at ${layout.objects}`,
    },
    async close() {
      await kv.close();
      await db.close();
    },
  };
}
