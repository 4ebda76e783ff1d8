/**
 * Attestor bench (issue 6): appended entries/s and p50/p99 at concurrency 32 through the
 * sequencer (PGlite and, when STELLA_TEST_DATABASE_URL is set, PostgreSQL); inclusion-proof
 * latency at tree sizes 10^3, 10^5, 10^6 via the stored-hash path (hashes precomputed in memory
 * with the same compact-range logic and bulk-inserted), with the ratio 10^6 vs 10^3; and the raw
 * SHA-256 + Ed25519 verify rate in the same run for comparison.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createIdGenerator, sha256Hex, systemClock } from '@stella/core';
import type { SqlDatabase } from '@stella/core';
import { createCompactRange, rfc6962Hasher } from '@stella/crypto';
import { createPgliteDatabase, createPostgresDatabase } from '@stella/storage';
import {
  attestorMigrations,
  createLogSigner,
  createSequencer,
  readInclusionProof,
} from '@stella/attestor';
import type { PreparedEntry } from '@stella/attestor';
import { emit, log } from './lib/emit.ts';
import { benchDurationMs, measureOps, round3 } from './lib/measure.ts';

const BENCH = 'attestor';
const logKey = generateKeyPairSync('ed25519').privateKey;
const signer = createLogSigner({ logPrefix: 'bench.local/tlog', privateKey: logKey });

function entry(i: number, salt: string): PreparedEntry {
  const envelope = Buffer.from(`{"bench":"${salt}","i":${i}}`);
  const subject = `sha256:${sha256Hex(Buffer.from(`${salt}/${i}`))}` as const;
  return {
    envelopeSha256: sha256Hex(envelope),
    envelope,
    payloadSha256: sha256Hex(Buffer.from(`payload ${salt} ${i}`)),
    predicateType: 'https://slsa.dev/provenance/v1',
    subjects: [{ name: `a-${i}`, digest: subject }],
  };
}

async function appends(kind: string, db: SqlDatabase): Promise<void> {
  const sequencer = createSequencer({
    db,
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    signer,
    maxBatch: 256,
    batchDelayMs: 2,
  });
  const tenant = `bench-${randomBytes(4).toString('hex')}`;
  const salt = randomBytes(4).toString('hex');
  const result = await measureOps((i) => sequencer.submit(tenant, entry(i, salt)), {
    durationMs: benchDurationMs(),
    concurrency: 32,
  });
  await sequencer.close();
  emit({
    bench: BENCH,
    metric: `appends_per_sec_${kind}`,
    value: result.opsPerSec,
    unit: 'entries/s',
    errors: result.errors,
  });
  emit({ bench: BENCH, metric: `append_p50_${kind}`, value: result.p50Ms, unit: 'ms' });
  emit({ bench: BENCH, metric: `append_p99_${kind}`, value: result.p99Ms, unit: 'ms' });
}

/** Stored hashes of a tree of `size` leaves, bulk-inserted in chunks. */
async function populate(db: SqlDatabase, tenant: string, size: number): Promise<void> {
  const range = createCompactRange(rfc6962Hasher, 0, []);
  let batch: { level: number; index: number; hash: Uint8Array }[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    await db.withTenant(tenant, (tx) =>
      tx.query(
        `INSERT INTO attestor_tlog_hashes (tenant, level, idx, hash)
         SELECT $1, l, i, decode(h, 'hex') FROM unnest($2::int[], $3::bigint[], $4::text[]) AS t(l, i, h)`,
        [
          tenant,
          rows.map((r) => r.level),
          rows.map((r) => String(r.index)),
          rows.map((r) => Buffer.from(r.hash).toString('hex')),
        ],
      ),
    );
  };
  for (let i = 0; i < size; i += 1) {
    const leaf = createHash('sha256').update(Uint8Array.of(0)).update(String(i)).digest();
    range.append(new Uint8Array(leaf), (id, hash) =>
      batch.push({ level: id.level, index: id.index, hash }),
    );
    if (batch.length >= 50_000) await flush();
  }
  if (batch.length > 0) await flush();
}

async function proofLatency(kind: string, db: SqlDatabase): Promise<void> {
  const p50: Record<number, number> = {};
  for (const size of [1_000, 100_000, 1_000_000]) {
    const tenant = `bench-p-${randomBytes(4).toString('hex')}`;
    log(`${kind}: populating stored hashes for ${size} leaves`);
    await populate(db, tenant, size);
    const result = await measureOps(
      (i) =>
        db.withTenant(tenant, (tx) =>
          readInclusionProof(
            async (ids) => {
              const { rows } = await tx.query<{ level: number; idx: string; hash: Uint8Array }>(
                `SELECT w.level, w.idx, h.hash FROM unnest($1::int[], $2::bigint[]) AS w(level, idx) CROSS JOIN LATERAL (SELECT hash FROM attestor_tlog_hashes WHERE level = w.level AND idx = w.idx) AS h`,
                [ids.map((n) => n.level), ids.map((n) => String(n.index))],
              );
              const found = new Map(
                rows.map((r) => [`${Number(r.level)}/${Number(r.idx)}`, r.hash]),
              );
              return ids.map((n) => found.get(`${n.level}/${n.index}`)!);
            },
            (i * 7919) % size,
            size,
          ),
        ),
      { durationMs: benchDurationMs(), concurrency: 1 },
    );
    p50[size] = result.p50Ms;
    emit({
      bench: BENCH,
      metric: `inclusion_proof_p50_${kind}_${size}`,
      value: result.p50Ms,
      unit: 'ms',
      errors: result.errors,
    });
  }
  emit({
    bench: BENCH,
    metric: `inclusion_proof_ratio_1e6_vs_1e3_${kind}`,
    value: round3(p50[1_000_000]! / p50[1_000]!),
    unit: 'ratio',
  });
}

function rawCrypto(): void {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const msg = randomBytes(256);
  const sig = sign(null, msg, privateKey);
  const n = 20_000;
  let started = performance.now();
  for (let i = 0; i < n; i += 1) createHash('sha256').update(msg).digest();
  emit({
    bench: BENCH,
    metric: 'raw_sha256_per_sec',
    value: Math.round((n / (performance.now() - started)) * 1000),
    unit: 'ops/s',
  });
  started = performance.now();
  for (let i = 0; i < n / 4; i += 1) verify(null, msg, publicKey, sig);
  emit({
    bench: BENCH,
    metric: 'raw_ed25519_verify_per_sec',
    value: Math.round((n / 4 / (performance.now() - started)) * 1000),
    unit: 'ops/s',
  });
}

async function main(): Promise<void> {
  rawCrypto();
  const kinds: [string, () => SqlDatabase][] = [
    ['pglite', () => createPgliteDatabase({ dataDir: 'memory://' })],
    // The engine in a worker thread (stella up's embeddedDatabaseThread: worker).
    ['pglite_worker', () => createPgliteDatabase({ dataDir: 'memory://', thread: 'worker' })],
  ];
  const url = process.env['STELLA_TEST_DATABASE_URL'];
  if (url !== undefined) kinds.push(['postgres', () => createPostgresDatabase({ url })]);
  else log('STELLA_TEST_DATABASE_URL unset: PostgreSQL figures skipped');
  for (const [kind, open] of kinds) {
    const db = open();
    try {
      await db.migrate(attestorMigrations);
      await appends(kind, db);
      await proofLatency(kind, db);
    } finally {
      await db.close();
    }
  }
}

await main();
