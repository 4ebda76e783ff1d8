/**
 * Compact ranges (after transparency-dev/merkle `compact.Range`): a tree of any size is fully
 * described, for appending and for its root, by the O(log n) hashes of the complete subtrees on
 * its right border, `rangeNodes(0, size)`. A log stores every complete-subtree hash once
 * (reported through the `visit` callback) and never needs to rewrite one.
 */
import type { Hasher } from '../rfc9162.ts';
import { assertTreeIndex, foldRight, rangeNodes } from './node-id.ts';
import type { NodeId } from './node-id.ts';

/** The node ids whose stored hashes determine the root of the tree of `size` leaves. */
export function treeRootNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

function assertHashes(hasher: Hasher, expected: number, hashes: readonly Uint8Array[]): void {
  if (hashes.length !== expected || hashes.some((h) => h.length !== hasher.size)) {
    throw new TypeError(`expected ${expected} hashes of ${hasher.size} bytes`);
  }
}

/** MTH of the tree of `size` leaves from the hashes of `treeRootNodes(size)` (same order). */
export function rootFromStoredHashes(
  hasher: Hasher,
  size: number,
  hashes: readonly Uint8Array[],
): Uint8Array {
  assertTreeIndex(size, 'size');
  assertHashes(hasher, treeRootNodes(size).length, hashes);
  if (size === 0) return hasher.emptyRoot();
  return foldRight(hashes, (l, r) => hasher.hashChildren(l, r));
}

export type NodeVisitor = (id: NodeId, hash: Uint8Array) => void;

export interface CompactRange {
  readonly size: () => number;
  /** The right-border hashes, in `treeRootNodes(size)` order. */
  readonly hashes: () => readonly Uint8Array[];
  /** Appends one leaf hash; `visit` sees the leaf node and every subtree it completes. */
  readonly append: (leafHash: Uint8Array, visit?: NodeVisitor) => void;
  readonly root: () => Uint8Array;
}

/** A compact range for the tree of `size` leaves, from its stored right-border hashes. */
export function createCompactRange(
  hasher: Hasher,
  size = 0,
  hashes: readonly Uint8Array[] = [],
): CompactRange {
  assertTreeIndex(size, 'size');
  assertHashes(hasher, treeRootNodes(size).length, hashes);
  const border: Uint8Array[] = [...hashes];
  let leaves = size;
  return {
    size: () => leaves,
    hashes: () => [...border],
    append(leafHash, visit) {
      if (leafHash.length !== hasher.size) throw new TypeError('leaf hash has the wrong size');
      if (!Number.isSafeInteger(leaves + 1)) throw new RangeError('tree size limit reached');
      let hash = leafHash;
      let index = leaves;
      let level = 0;
      visit?.({ level, index }, hash);
      // Each trailing 1-bit of the new leaf's index is a left sibling on the border to merge with.
      while (index % 2 === 1) {
        const left = border.pop() as Uint8Array;
        hash = hasher.hashChildren(left, hash);
        index = (index - 1) / 2;
        level += 1;
        visit?.({ level, index }, hash);
      }
      border.push(hash);
      leaves += 1;
    },
    root: () =>
      leaves === 0 ? hasher.emptyRoot() : foldRight(border, (l, r) => hasher.hashChildren(l, r)),
  };
}
