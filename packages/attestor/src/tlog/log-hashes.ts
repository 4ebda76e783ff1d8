/**
 * The log's use of stored hashes (Go sumdb tlog "stored hashes"): `@stella/crypto` plans which
 * complete-subtree nodes an operation needs and folds them; this module only turns a plan into
 * ONE batched read through a `NodeReader` — O(log n) rows for a root, an inclusion proof or a
 * consistency proof, at any tree size.
 */
import {
  assembleProof,
  consistencyProofNodes,
  createCompactRange,
  inclusionProofNodes,
  rfc6962Hasher,
  rootFromStoredHashes,
  treeRootNodes,
} from '@stella/crypto';
import type { NodeId } from '@stella/crypto';

/** Reads stored hashes for `ids`, returned in the same order; a missing node must throw. */
export type NodeReader = (ids: readonly NodeId[]) => Promise<Uint8Array[]>;

export interface StoredHash {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

export const logHasher = rfc6962Hasher;

export async function readRoot(read: NodeReader, size: number): Promise<Uint8Array> {
  return rootFromStoredHashes(logHasher, size, await read(treeRootNodes(size)));
}

export async function readInclusionProof(
  read: NodeReader,
  index: number,
  size: number,
): Promise<Uint8Array[]> {
  const plan = inclusionProofNodes(index, size);
  return assembleProof(logHasher, plan, await read(plan.ids));
}

export async function readConsistencyProof(
  read: NodeReader,
  from: number,
  to: number,
): Promise<Uint8Array[]> {
  const plan = consistencyProofNodes(from, to);
  return assembleProof(logHasher, plan, await read(plan.ids));
}

/**
 * Appends leaf hashes to a tree of `size` leaves whose right border (`treeRootNodes(size)`) is
 * `border`. Returns every complete-subtree hash the batch creates (to insert), the new root and
 * the new right border (what the next append starts from).
 */
export function appendLeafHashes(
  size: number,
  border: readonly Uint8Array[],
  leafHashes: readonly Uint8Array[],
): { stored: StoredHash[]; root: Uint8Array; border: readonly Uint8Array[] } {
  const range = createCompactRange(logHasher, size, border);
  const stored: StoredHash[] = [];
  for (const leafHash of leafHashes) {
    range.append(leafHash, (id, hash) => stored.push({ level: id.level, index: id.index, hash }));
  }
  return { stored, root: range.root(), border: range.hashes() };
}

export { treeRootNodes };
