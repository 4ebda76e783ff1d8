/**
 * SQL for the per-tenant log (tables from `migrations.ts`; the batch write is batch-store.ts).
 * Every function takes the tenant transaction the caller opened with `db.withTenant`, so RLS
 * scopes each statement; the tenant is still written explicitly into new rows because the
 * policy's WITH CHECK compares it.
 */
import type { SqlQueryable } from '@stella/core';
import type { NodeId } from '@stella/crypto';

/** Distinguishes the log lock from other advisory locks (storage's migration lock, …). */
const LOG_LOCK_CLASS = 0x746c6f67; // 'tlog'

export interface LeafRow {
  readonly index: number;
  readonly uuid: string;
  readonly leafData: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly envelopeSha256: string;
  readonly envelope: Uint8Array;
  readonly predicateType: string;
  readonly subjectDigests: readonly string[];
  readonly integratedTime: number;
}

export interface CheckpointRow {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

/** A `bytea` column as bytes (drivers hand back Uint8Array or, via text paths, hex). */
export const bytes = (value: unknown): Uint8Array =>
  value instanceof Uint8Array ? value : new Uint8Array(Buffer.from(String(value), 'hex'));
export const hexOf = (value: Uint8Array): string => Buffer.from(value).toString('hex');

/**
 * Serialises writers of one tenant's log across processes and replicas (PLATFORM.md §8): held to
 * the end of the batch transaction, so the size read next cannot change under us.
 */
export async function lockLog(tx: SqlQueryable, tenant: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [
    LOG_LOCK_CLASS,
    tenant,
  ]);
}

/**
 * One round trip for every stored node an operation plan names, returned in plan order. A missing
 * node means a corrupt table or a plan beyond the tree: refuse rather than guess.
 */
export async function readNodeHashes(
  tx: SqlQueryable,
  ids: readonly NodeId[],
): Promise<Uint8Array[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<{ level: unknown; idx: unknown; hash: unknown }>(
    // LATERAL forces one primary-key probe per wanted node: O(log n) index lookups at any size,
    // never a hash join over the whole table.
    `SELECT want.level, want.idx, h.hash FROM unnest($1::int[], $2::bigint[]) AS want(level, idx)
       CROSS JOIN LATERAL (SELECT hash FROM attestor_tlog_hashes
         WHERE level = want.level AND idx = want.idx) AS h`,
    [ids.map((n) => n.level), ids.map((n) => String(n.index))],
  );
  const found = new Map<string, Uint8Array>();
  for (const row of rows) found.set(`${Number(row.level)}/${Number(row.idx)}`, bytes(row.hash));
  return ids.map((id) => {
    const hash = found.get(`${id.level}/${id.index}`);
    if (hash === undefined) throw new Error(`stored hash ${id.level}/${id.index} missing`);
    return hash;
  });
}

export async function latestCheckpoint(tx: SqlQueryable): Promise<CheckpointRow | undefined> {
  const { rows } = await tx.query<{ size: unknown; root: unknown; note: unknown }>(
    'SELECT size, root, note FROM attestor_tlog_checkpoints ORDER BY size DESC LIMIT 1',
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { size: Number(row.size), root: bytes(row.root), note: String(row.note) };
}

export async function listCheckpoints(tx: SqlQueryable): Promise<CheckpointRow[]> {
  const { rows } = await tx.query<{ size: unknown; root: unknown; note: unknown }>(
    'SELECT size, root, note FROM attestor_tlog_checkpoints ORDER BY size',
  );
  return rows.map((r) => ({ size: Number(r.size), root: bytes(r.root), note: String(r.note) }));
}

const LEAF_COLUMNS = `idx, uuid::text AS uuid, leaf_data, leaf_hash, envelope_sha256, envelope,
  predicate_type, subject_digests, integrated_time`;

function toLeafRow(row: Record<string, unknown>): LeafRow {
  return {
    index: Number(row['idx']),
    uuid: String(row['uuid']),
    leafData: bytes(row['leaf_data']),
    leafHash: bytes(row['leaf_hash']),
    envelopeSha256: String(row['envelope_sha256']),
    envelope: bytes(row['envelope']),
    predicateType: String(row['predicate_type']),
    subjectDigests: (row['subject_digests'] as unknown[]).map(String),
    integratedTime: Number(row['integrated_time']),
  };
}

export async function leavesByEnvelope(
  tx: SqlQueryable,
  envelopeSha256: readonly string[],
): Promise<LeafRow[]> {
  if (envelopeSha256.length === 0) return [];
  const { rows } = await tx.query(
    `SELECT ${LEAF_COLUMNS} FROM attestor_tlog_leaves WHERE envelope_sha256 = ANY($1::text[])`,
    [[...envelopeSha256]],
  );
  return rows.map(toLeafRow);
}

export async function leafByUuid(tx: SqlQueryable, uuid: string): Promise<LeafRow | undefined> {
  const { rows } = await tx.query(
    `SELECT ${LEAF_COLUMNS} FROM attestor_tlog_leaves WHERE uuid = $1::uuid`,
    [uuid],
  );
  return rows[0] === undefined ? undefined : toLeafRow(rows[0]);
}

export async function leafByIndex(tx: SqlQueryable, index: number): Promise<LeafRow | undefined> {
  const { rows } = await tx.query(
    `SELECT ${LEAF_COLUMNS} FROM attestor_tlog_leaves WHERE idx = $1`,
    [String(index)],
  );
  return rows[0] === undefined ? undefined : toLeafRow(rows[0]);
}

/** Entries naming `digest` as a subject, newest first; `before` is the cursor (an index). */
export async function leavesBySubject(
  tx: SqlQueryable,
  digest: string,
  before: number | undefined,
  limit: number,
): Promise<LeafRow[]> {
  const { rows } = await tx.query(
    `SELECT ${LEAF_COLUMNS} FROM attestor_tlog_leaves
      WHERE subject_digests @> ARRAY[$1::text] AND ($2::bigint IS NULL OR idx < $2::bigint)
      ORDER BY idx DESC LIMIT $3`,
    [digest, before === undefined ? null : String(before), limit],
  );
  return rows.map(toLeafRow);
}
