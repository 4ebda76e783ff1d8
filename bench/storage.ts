/**
 * Storage bench: KV `setIfAbsent` ops/s (memory, Valkey/Redis) and SQL single-row insert
 * commits/s (PGlite, PostgreSQL), each against a raw client doing the same work in the same run:
 * a plain `Map` for memory, raw iovalkey `SET NX PX`, and raw PGlite / `pg` autocommit INSERTs.
 * The adapter figures include what the boundary costs (tenant transaction, SET LOCAL ROLE, RLS).
 *
 * Servers: STELLA_TEST_VALKEY_URL / STELLA_VALKEY_URL (default redis://127.0.0.1:6379) and
 * STELLA_TEST_DATABASE_URL / STELLA_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * an unreachable server is reported as `skipped`, never as a number.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'iovalkey';
import pg from 'pg';
import {
  createMemoryKv,
  createPgliteDatabase,
  createPostgresDatabase,
  createValkeyKv,
  tenantTable,
} from '@stella/storage';
import type { SqlDatabase } from '@stella/core';
import { compareToRaw, emitSkipped } from './lib/compare.ts';
import { log } from './lib/emit.ts';

const BENCH = 'storage';
const runId = randomBytes(4).toString('hex');
const rowsMigration = {
  id: 'bench/0001-rows',
  sql: tenantTable('bench_rows', 'id bigint NOT NULL, body text NOT NULL'),
};
const RAW_TABLE =
  'CREATE TABLE IF NOT EXISTS bench_raw_rows (tenant text NOT NULL, id bigint NOT NULL, body text NOT NULL)';
const INSERT = 'INSERT INTO bench_rows (tenant, id, body) VALUES ($1, $2, $3)';
const RAW_INSERT = 'INSERT INTO bench_raw_rows (tenant, id, body) VALUES ($1, $2, $3)';
const BODY = 'x'.repeat(64);

async function benchMemoryKv(): Promise<void> {
  const kv = createMemoryKv({ maxEntries: 100_000 });
  const raw = new Map<string, { value: string; expiresAt: number }>();
  await compareToRaw({
    bench: BENCH,
    metric: 'kv_memory_set_if_absent',
    unit: 'ops/s',
    concurrency: 16,
    adapter: (i) => kv.setIfAbsent(`k${i}`, '1', 60_000),
    raw: async (i) => {
      const key = `k${i}`;
      if (raw.has(key)) return false;
      // Bounded like the adapter, at the cheapest possible cost (a baseline, not an LRU).
      if (raw.size >= 100_000) raw.clear();
      raw.set(key, { value: '1', expiresAt: Date.now() + 60_000 });
      return true;
    },
  });
  await kv.close();
}

async function reachableRedis(url: string): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

async function benchValkeyKv(): Promise<void> {
  const url =
    process.env.STELLA_TEST_VALKEY_URL ?? process.env.STELLA_VALKEY_URL ?? 'redis://127.0.0.1:6379';
  const raw = await reachableRedis(url);
  if (raw === undefined) {
    emitSkipped(BENCH, 'kv_valkey_set_if_absent', 'ops/s', 'valkey/redis unreachable');
    return;
  }
  const prefix = `stella-bench:${runId}:`;
  const kv = createValkeyKv({ url, keyPrefix: `${prefix}a:` });
  try {
    await compareToRaw({
      bench: BENCH,
      metric: 'kv_valkey_set_if_absent',
      unit: 'ops/s',
      concurrency: 64,
      adapter: (i) => kv.setIfAbsent(`k${i}`, '1', 10_000),
      raw: (i) => raw.set(`${prefix}r:k${i}`, '1', 'PX', 10_000, 'NX'),
    });
  } finally {
    await kv.close();
    await raw.quit();
  }
}

async function benchPglite(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'stella-bench-pglite-'));
  const db = createPgliteDatabase({ dataDir: path.join(dir, 'adapter') });
  const raw = new PGlite(path.join(dir, 'raw'));
  try {
    await db.migrate([rowsMigration]);
    await raw.exec(RAW_TABLE);
    await compareSql(
      'sql_pglite_insert_commit',
      db,
      (i) => raw.query(RAW_INSERT, ['bench', i, BODY]),
      4,
    );
  } finally {
    await db.close();
    await raw.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function compareSql(
  metric: string,
  db: SqlDatabase,
  raw: (i: number) => Promise<unknown>,
  concurrency: number,
) {
  return compareToRaw({
    bench: BENCH,
    metric,
    unit: 'commits/s',
    concurrency,
    adapter: (i) => db.withTenant('bench', (tx) => tx.query(INSERT, ['bench', i, BODY])),
    raw,
  });
}

async function benchPostgres(): Promise<void> {
  const adminUrl =
    process.env.STELLA_TEST_DATABASE_URL ??
    process.env.STELLA_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    emitSkipped(BENCH, 'sql_postgres_insert_commit', 'commits/s', 'postgresql unreachable');
    return;
  }
  // A throwaway database so the bench never touches real tables; dropped afterwards.
  const name = `stella_bench_${runId}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPostgresDatabase({ url: url.toString(), poolSize: 16 });
  const raw = new pg.Pool({ connectionString: url.toString(), max: 16 });
  raw.on('error', () => undefined); // idle clients are terminated by DROP DATABASE … WITH (FORCE)
  try {
    await db.migrate([rowsMigration]);
    await raw.query(RAW_TABLE);
    await compareSql(
      'sql_postgres_insert_commit',
      db,
      (i) => raw.query(RAW_INSERT, ['bench', i, BODY]),
      16,
    );
  } finally {
    await db.close();
    await raw.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

for (const step of [benchMemoryKv, benchValkeyKv, benchPglite, benchPostgres]) {
  log(`${BENCH}: ${step.name}`);
  await step();
}
