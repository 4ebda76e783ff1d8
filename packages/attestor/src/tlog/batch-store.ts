/**
 * The sequencer's two statements per batch (after the advisory lock): one read of the log state
 * (size, latest checkpoint, the batch's duplicate envelopes) and one write of leaves, stored
 * hashes and checkpoint as data-modifying CTEs. Round trips, not rows, dominate a batch's cost
 * on PostgreSQL, so the steady state of a batch is lock + read + write + the adapter's own
 * BEGIN / scope / COMMIT.
 */
import type { SqlQueryable } from '@stella/core';
import type { StoredHash } from './log-hashes.ts';
import { bytes, hexOf } from './tlog-store.ts';
import type { CheckpointRow, LeafRow } from './tlog-store.ts';

/** An entry already in the log (a duplicate envelope resolves to it). */
export interface ExistingLeaf {
  readonly index: number;
  readonly uuid: string;
  readonly leafData: Uint8Array;
  readonly envelopeSha256: string;
}

export interface LogState {
  /** Leaves in the log (max index + 1): the ground truth the batch appends after. */
  readonly size: number;
  readonly latest: CheckpointRow | undefined;
  readonly existing: readonly ExistingLeaf[];
}

/**
 * Must run AFTER `lockLog` in its own statement: under READ COMMITTED each statement takes a new
 * snapshot, so this one sees every batch committed before we got the lock.
 */
export async function readLogState(
  tx: SqlQueryable,
  envelopeSha256: readonly string[],
): Promise<LogState> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT s.n, c.size AS cp_size, c.root AS cp_root, c.note AS cp_note,
            l.idx, l.uuid::text AS uuid, l.leaf_data, l.envelope_sha256
       FROM (SELECT coalesce(max(idx) + 1, 0) AS n FROM attestor_tlog_leaves) AS s
       LEFT JOIN LATERAL (SELECT size, root, note FROM attestor_tlog_checkpoints
                           ORDER BY size DESC LIMIT 1) AS c ON true
       LEFT JOIN attestor_tlog_leaves AS l ON l.envelope_sha256 = ANY($1::text[])`,
    [[...envelopeSha256]],
  );
  const first = rows[0];
  if (first === undefined) throw new Error('log state query returned no row');
  const latest =
    first['cp_size'] === null || first['cp_size'] === undefined
      ? undefined
      : {
          size: Number(first['cp_size']),
          root: bytes(first['cp_root']),
          note: String(first['cp_note']),
        };
  const existing = rows
    .filter((r) => r['idx'] !== null && r['idx'] !== undefined)
    .map((r) => ({
      index: Number(r['idx']),
      uuid: String(r['uuid']),
      leafData: bytes(r['leaf_data']),
      envelopeSha256: String(r['envelope_sha256']),
    }));
  return { size: Number(first['n']), latest, existing };
}

/** Leaves, the complete-subtree hashes they create and the new checkpoint: one statement. */
export async function writeBatch(
  tx: SqlQueryable,
  tenant: string,
  batch: {
    readonly leaves: readonly LeafRow[];
    readonly hashes: readonly StoredHash[];
    readonly checkpoint: CheckpointRow;
    readonly createdAt: Date;
  },
): Promise<void> {
  const { leaves, hashes, checkpoint } = batch;
  // Subject digests travel as JSON text (no ragged 2-D arrays in SQL); bytes as hex text, which
  // both adapters bind identically.
  await tx.query(
    `WITH leaves AS (
       INSERT INTO attestor_tlog_leaves (tenant, idx, uuid, leaf_data, leaf_hash, envelope_sha256,
         envelope, predicate_type, subject_digests, integrated_time)
       SELECT $1, i, u::uuid, decode(ld, 'hex'), decode(lh, 'hex'), es, decode(e, 'hex'), pt,
         ARRAY(SELECT jsonb_array_elements_text(sd::jsonb)), it
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::bigint[]) AS t(i, u, ld, lh, es, e, pt, sd, it)
     ), hashes AS (
       INSERT INTO attestor_tlog_hashes (tenant, level, idx, hash)
       SELECT $1, l, i, decode(h, 'hex')
         FROM unnest($11::int[], $12::bigint[], $13::text[]) AS t(l, i, h)
     )
     INSERT INTO attestor_tlog_checkpoints (tenant, size, root, note, created_at)
     VALUES ($1, $14, decode($15, 'hex'), $16, $17)`,
    [
      tenant,
      leaves.map((l) => String(l.index)),
      leaves.map((l) => l.uuid),
      leaves.map((l) => hexOf(l.leafData)),
      leaves.map((l) => hexOf(l.leafHash)),
      leaves.map((l) => l.envelopeSha256),
      leaves.map((l) => hexOf(l.envelope)),
      leaves.map((l) => l.predicateType),
      leaves.map((l) => JSON.stringify(l.subjectDigests)),
      leaves.map((l) => String(l.integratedTime)),
      hashes.map((h) => h.level),
      hashes.map((h) => String(h.index)),
      hashes.map((h) => hexOf(h.hash)),
      String(checkpoint.size),
      hexOf(checkpoint.root),
      checkpoint.note,
      batch.createdAt.toISOString(),
    ],
  );
}
