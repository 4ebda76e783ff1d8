/**
 * Pieces of a sequencer batch that need no lock: drafting leaves (RFC 8785 leaf bytes and their
 * RFC 9162 §2.1.1 leaf hash) before the transaction starts, and a node reader that serves the
 * hashes a batch already holds in memory so receipts cost no extra round trip.
 */
import type { SqlQueryable } from '@stella/core';
import type { NodeId } from '@stella/crypto';
import { encodeLeafData } from './leaf-data.ts';
import type { LeafSubject } from './leaf-data.ts';
import { logHasher } from './log-hashes.ts';
import type { NodeReader } from './log-hashes.ts';
import { readNodeHashes } from './tlog-store.ts';

/** A verified submission, ready to log (all checks ran before it was queued). */
export interface PreparedEntry {
  readonly envelopeSha256: string;
  /** RFC 8785 bytes of the envelope JSON (hash = envelopeSha256). */
  readonly envelope: Uint8Array;
  readonly payloadSha256: string;
  readonly predicateType: string;
  readonly subjects: readonly LeafSubject[];
}

/** A leaf before it has an index: everything but its position depends only on the entry. */
export interface DraftLeaf {
  readonly entry: PreparedEntry;
  readonly uuid: string;
  readonly leafData: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly integratedTime: number;
}

export function draftLeaf(entry: PreparedEntry, uuid: string, integratedTime: number): DraftLeaf {
  const leafData = encodeLeafData({
    kind: 'dsse/v1',
    envelopeSha256: entry.envelopeSha256,
    payloadSha256: entry.payloadSha256,
    predicateType: entry.predicateType,
    subjects: entry.subjects,
    integratedTime,
  });
  return { entry, uuid, leafData, leafHash: logHasher.hashLeaf(leafData), integratedTime };
}

export const nodeKey = (id: NodeId): string => `${id.level}/${id.index}`;

/**
 * Serves `known` nodes from memory; whatever is missing (proofs for duplicate entries deep in
 * the old tree) costs one batched read and is remembered for the rest of the batch.
 */
export function knownNodeReader(tx: SqlQueryable, known: Map<string, Uint8Array>): NodeReader {
  return async (ids) => {
    const missing = ids.filter((id) => !known.has(nodeKey(id)));
    if (missing.length > 0) {
      const hashes = await readNodeHashes(tx, missing);
      missing.forEach((id, i) => known.set(nodeKey(id), hashes[i]!));
    }
    return ids.map((id) => known.get(nodeKey(id))!);
  };
}
