/**
 * Node addressing for RFC 9162 trees (after transparency-dev/merkle `compact.NodeID`): node
 * `(level, index)` is the root of the complete subtree over leaves
 * `[index * 2^level, (index + 1) * 2^level)`. Level 0 nodes are leaf hashes. Only complete
 * subtrees have ids, so every id names a hash that never changes once written (append-only).
 *
 * Sizes and indices are JavaScript numbers restricted to safe integers (< 2^53); bit arithmetic
 * goes through BigInt because `>>`/`^` on numbers truncate to 32 bits.
 */
import { cryptoError } from '../errors.ts';

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Refuses sizes/indices that are not non-negative safe integers (e.g. 2^64-1 from JSON). */
export function assertTreeIndex(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw cryptoError('invalid_tree_size', {
      detail: `${what} is not a safe non-negative integer`,
    });
  }
}

/** Number of leaves under a node of this level. */
export function subtreeWidth(level: number): number {
  return 2 ** level;
}

/** The largest power of two strictly less than `n` (RFC 6962 §2.1 `k`), for n > 1. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete subtrees covering leaves `[begin, end)`, left to right: greedily the largest
 * aligned power-of-two block at each position. For `[0, size)` this is the tree's "right border"
 * (one node per set bit of `size`, largest first); folding their hashes from the right with
 * `hashChildren` yields MTH of the range when `begin` is aligned to a power of two >= end-begin.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  assertTreeIndex(begin, 'begin');
  assertTreeIndex(end, 'end');
  if (begin > end) throw cryptoError('invalid_tree_size', { detail: 'begin > end' });
  const nodes: NodeId[] = [];
  let position = begin;
  while (position < end) {
    let level = 0;
    while (position % subtreeWidth(level + 1) === 0 && position + subtreeWidth(level + 1) <= end) {
      level += 1;
    }
    nodes.push({ level, index: position / subtreeWidth(level) });
    position += subtreeWidth(level);
  }
  return nodes;
}

/** Fold a left-to-right list of subtree hashes into one hash: h0 ‖ (h1 ‖ (h2 ‖ …)). */
export function foldRight(
  hashes: readonly Uint8Array[],
  hashChildren: (left: Uint8Array, right: Uint8Array) => Uint8Array,
): Uint8Array {
  const last = hashes[hashes.length - 1];
  if (last === undefined) throw new TypeError('foldRight needs at least one hash');
  let acc = last;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i] as Uint8Array, acc);
  return acc;
}
