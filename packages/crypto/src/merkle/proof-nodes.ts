/**
 * Proof builders that never fetch (CONVENTIONS.md "Verification is pure"): they return which
 * stored node hashes to read; the storage layer reads them and calls `assembleProof`.
 *
 * Approach: each proof element of RFC 6962 §2.1.1 PATH / §2.1.2 SUBPROOF is MTH of a leaf range.
 * A range on the tree's right edge may not be a complete subtree (an "ephemeral" node, in
 * transparency-dev/merkle terms); instead of a special marker, every element is expressed as
 * the complete subtrees that cover its range (usually exactly one). `assembleProof` folds the
 * hashes of each element from the right (the rehash step of Go's `proof.Nodes.Rehash`).
 */
import { cryptoError } from '../errors.ts';
import type { Hasher } from '../rfc9162.ts';
import { assertTreeIndex, foldRight, largestPowerOfTwoBelow, rangeNodes } from './node-id.ts';
import type { NodeId } from './node-id.ts';

export interface ProofNodes {
  /** Every node id to read, element after element, each element's nodes left to right. */
  readonly ids: readonly NodeId[];
  /** Proof element i is the fold of `ids[elements[i].start .. elements[i].end)`. */
  readonly elements: readonly { readonly start: number; readonly end: number }[];
}

type LeafRange = readonly [begin: number, end: number];

function toProofNodes(ranges: readonly LeafRange[]): ProofNodes {
  const ids: NodeId[] = [];
  const elements: { start: number; end: number }[] = [];
  for (const [begin, end] of ranges) {
    const start = ids.length;
    ids.push(...rangeNodes(begin, end));
    elements.push({ start, end: ids.length });
  }
  return { ids, elements };
}

/** RFC 6962 §2.1.1 PATH(m, D[0:n]) as leaf ranges, bottom-up (the order the proof is sent in). */
function inclusionRanges(index: number, size: number): LeafRange[] {
  const topDown: LeafRange[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index - lo < k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
    }
  }
  return topDown.reverse();
}

/** RFC 6962 §2.1.2 SUBPROOF(m, D[0:n], true) as leaf ranges, in proof order. */
function consistencyRanges(size1: number, size2: number): LeafRange[] {
  const topDown: LeafRange[] = [];
  let m = size1;
  let lo = 0;
  let hi = size2;
  let complete = true; // the SUBPROOF flag b: is D[lo:lo+m] a subtree the verifier already has?
  for (;;) {
    if (m === hi - lo) {
      if (!complete) topDown.push([lo, hi]);
      break;
    }
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m <= k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      m -= k;
      lo += k;
      complete = false;
    }
  }
  return topDown.reverse();
}

/** Node ids for the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProofNodes(index: number, size: number): ProofNodes {
  assertTreeIndex(index, 'index');
  assertTreeIndex(size, 'size');
  if (index >= size) throw cryptoError('invalid_tree_size', { detail: 'index >= size' });
  return toProofNodes(inclusionRanges(index, size));
}

/**
 * Node ids for the consistency proof between sizes `size1` <= `size2`. Equal sizes need no
 * nodes; a proof from the empty tree is meaningless and refused (testdata README strictness).
 */
export function consistencyProofNodes(size1: number, size2: number): ProofNodes {
  assertTreeIndex(size1, 'size1');
  assertTreeIndex(size2, 'size2');
  if (size1 === 0 || size1 > size2) {
    throw cryptoError('invalid_tree_size', { detail: 'need 0 < size1 <= size2' });
  }
  if (size1 === size2) return { ids: [], elements: [] };
  return toProofNodes(consistencyRanges(size1, size2));
}

/** Turns the hashes read for `nodes.ids` (same order) into the proof to send. */
export function assembleProof(
  hasher: Hasher,
  nodes: ProofNodes,
  hashes: readonly Uint8Array[],
): Uint8Array[] {
  if (hashes.length !== nodes.ids.length) {
    throw new TypeError(`expected ${nodes.ids.length} node hashes, got ${hashes.length}`);
  }
  return nodes.elements.map(({ start, end }) =>
    foldRight(hashes.slice(start, end), (l, r) => hasher.hashChildren(l, r)),
  );
}
