/**
 * Read side of a tenant log: latest checkpoint, proofs, entries. Every read runs in one tenant
 * transaction (RLS) and costs O(log n) stored-hash rows. Proof requests are bounded by the latest
 * PUBLISHED checkpoint: a proof for a size nobody can see a signed root for is refused.
 */
import { rfc6962Hasher } from '@stella/crypto';
import type { SqlDatabase, SqlQueryable } from '@stella/core';
import { attestorError } from '../errors.ts';
import { createReceipt } from '../receipt.ts';
import type { Receipt } from '../receipt.ts';
import { readConsistencyProof, readInclusionProof } from './log-hashes.ts';
import type { LogSigner } from './log-signer.ts';
import * as store from './tlog-store.ts';
import type { CheckpointRow, LeafRow } from './tlog-store.ts';

export interface LogEntry {
  readonly leaf: LeafRow;
  readonly receipt: Receipt;
}

export interface LogReader {
  checkpoint(tenant: string): Promise<CheckpointRow>;
  inclusionProof(tenant: string, index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(tenant: string, from: number, to: number): Promise<Uint8Array[]>;
  entryByUuid(tenant: string, uuid: string): Promise<LogEntry | undefined>;
  /** The entry at `index` in the tenant's log (undefined when the log is not that long). */
  entryByIndex(tenant: string, index: number): Promise<LogEntry | undefined>;
  entryByEnvelope(tenant: string, envelopeSha256: string): Promise<LogEntry | undefined>;
  /** Newest first; `before` is the cursor (an index, exclusive). */
  entriesBySubject(
    tenant: string,
    digest: string,
    before: number | undefined,
    limit: number,
  ): Promise<LogEntry[]>;
}

export function createLogReader(deps: { db: SqlDatabase; signer: LogSigner }): LogReader {
  const reader = (tx: SqlQueryable) => (ids: Parameters<typeof store.readNodeHashes>[1]) =>
    store.readNodeHashes(tx, ids);

  async function latest(tx: SqlQueryable, tenant: string): Promise<CheckpointRow> {
    const row = await store.latestCheckpoint(tx);
    if (row !== undefined) return row;
    // The empty log (RFC 9162 §2.1.1: MTH({}) = SHA-256("")); Ed25519 is deterministic, so every
    // replica serves the same note for it without storing one.
    const root = rfc6962Hasher.emptyRoot();
    return { size: 0, root, note: deps.signer.sign(tenant, 0, root) };
  }

  async function receiptsFor(tx: SqlQueryable, tenant: string, leaves: LeafRow[]) {
    const cp = await latest(tx, tenant);
    const out: LogEntry[] = [];
    for (const leaf of leaves) {
      // A leaf integrated by a batch always has a checkpoint covering it (same transaction).
      if (leaf.index >= cp.size) throw attestorError('log_unavailable');
      const proof = await readInclusionProof(reader(tx), leaf.index, cp.size);
      out.push({
        leaf,
        receipt: createReceipt({
          uuid: leaf.uuid,
          index: leaf.index,
          leafData: leaf.leafData,
          envelopeSha256: leaf.envelopeSha256,
          treeSize: cp.size,
          proof,
          checkpoint: cp.note,
        }),
      });
    }
    return out;
  }

  return {
    checkpoint: (tenant) => deps.db.withTenant(tenant, (tx) => latest(tx, tenant)),
    inclusionProof: (tenant, index, size) =>
      deps.db.withTenant(tenant, async (tx) => {
        const cp = await latest(tx, tenant);
        if (index >= size || size > cp.size) throw attestorError('proof_out_of_range');
        return readInclusionProof(reader(tx), index, size);
      }),
    consistencyProof: (tenant, from, to) =>
      deps.db.withTenant(tenant, async (tx) => {
        const cp = await latest(tx, tenant);
        if (from === 0 || from > to || to > cp.size) throw attestorError('proof_out_of_range');
        return from === to ? [] : readConsistencyProof(reader(tx), from, to);
      }),
    entryByUuid: (tenant, uuid) =>
      deps.db.withTenant(tenant, async (tx) => {
        const leaf = await store.leafByUuid(tx, uuid);
        return leaf === undefined ? undefined : (await receiptsFor(tx, tenant, [leaf]))[0];
      }),
    entryByIndex: (tenant, index) =>
      deps.db.withTenant(tenant, async (tx) => {
        const leaf = await store.leafByIndex(tx, index);
        return leaf === undefined ? undefined : (await receiptsFor(tx, tenant, [leaf]))[0];
      }),
    entryByEnvelope: (tenant, envelopeSha256) =>
      deps.db.withTenant(tenant, async (tx) => {
        const [leaf] = await store.leavesByEnvelope(tx, [envelopeSha256]);
        return leaf === undefined ? undefined : (await receiptsFor(tx, tenant, [leaf]))[0];
      }),
    entriesBySubject: (tenant, digest, before, limit) =>
      deps.db.withTenant(tenant, async (tx) =>
        receiptsFor(tx, tenant, await store.leavesBySubject(tx, digest, before, limit)),
      ),
  };
}
