/**
 * Pure RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification (the bit-walking formulation used by
 * transparency-dev/merkle `proof/verify.go`). Never fetches. Strictness follows
 * testdata/README.md: leaf hash and proof hashes exactly `hasher.size` bytes, `index < size`,
 * consistency from size 0 refused, `size1 == size2` needs an empty proof and equal roots, and a
 * proof's length must be exactly what the tree shape requires.
 */
import { constantTimeEqual } from '@stella/core';
import { cryptoError } from '../errors.ts';
import type { Hasher } from '../rfc9162.ts';
import { assertTreeIndex } from './node-id.ts';

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);
const onesCount = (x: bigint): number => x.toString(2).replaceAll('0', '').length;
const bit = (x: bigint, i: number): boolean => ((x >> BigInt(i)) & 1n) === 1n;

function trailingZeros(x: bigint): number {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n += 1;
  }
  return n;
}

/**
 * The inclusion proof for `index` in a tree of `size` has `inner` hashes below the point where
 * the leaf's path meets the right border, then `border` hashes of left siblings on that border.
 */
function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function assertHashSizes(hasher: Hasher, proof: readonly Uint8Array[]): void {
  if (
    !Array.isArray(proof) ||
    proof.some((h) => !(h instanceof Uint8Array) || h.length !== hasher.size)
  ) {
    throw cryptoError('invalid_proof', { detail: 'proof hash has the wrong size' });
  }
}

function chainInner(hasher: Hasher, seed: Uint8Array, proof: readonly Uint8Array[], index: bigint) {
  return proof.reduce(
    (acc, h, i) => (bit(index, i) ? hasher.hashChildren(h, acc) : hasher.hashChildren(acc, h)),
    seed,
  );
}

/** Like chainInner, but only the hashes where the node is a right child (the old tree's path). */
function chainInnerRight(
  hasher: Hasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  index: bigint,
) {
  return proof.reduce((acc, h, i) => (bit(index, i) ? hasher.hashChildren(h, acc) : acc), seed);
}

function chainBorderRight(hasher: Hasher, seed: Uint8Array, proof: readonly Uint8Array[]) {
  return proof.reduce((acc, h) => hasher.hashChildren(h, acc), seed);
}

function assertMatch(computed: Uint8Array, expected: Uint8Array, which: string): void {
  if (!(expected instanceof Uint8Array) || !constantTimeEqual(computed, expected)) {
    throw cryptoError('root_mismatch', { detail: which });
  }
}

/** The root implied by an inclusion proof; throws on any shape error. */
export function rootFromInclusionProof(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertTreeIndex(index, 'index');
  assertTreeIndex(size, 'size');
  if (index >= size) throw cryptoError('invalid_tree_size', { detail: 'index >= size' });
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== hasher.size) {
    throw cryptoError('invalid_proof', { detail: 'leaf hash has the wrong size' });
  }
  assertHashSizes(hasher, proof);
  const i = BigInt(index);
  const { inner, border } = decompose(i, BigInt(size));
  if (proof.length !== inner + border) {
    throw cryptoError('invalid_proof', { detail: `proof length ${proof.length}` });
  }
  const seed = chainInner(hasher, leafHash, proof.slice(0, inner), i);
  return chainBorderRight(hasher, seed, proof.slice(inner));
}

/** RFC 9162 §2.1.3.2: verifies that `leafHash` is leaf `index` of the tree with `root`. */
export function verifyInclusion(
  hasher: Hasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertMatch(rootFromInclusionProof(hasher, index, size, leafHash, proof), root, 'root');
}

/** RFC 9162 §2.1.4.2: verifies that the tree `root2` of `size2` extends tree `root1` of `size1`. */
export function verifyConsistency(
  hasher: Hasher,
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  assertTreeIndex(size1, 'size1');
  assertTreeIndex(size2, 'size2');
  assertHashSizes(hasher, proof);
  if (size1 === 0) throw cryptoError('invalid_tree_size', { detail: 'consistency from size 0' });
  if (size1 > size2) throw cryptoError('invalid_tree_size', { detail: 'size1 > size2' });
  if (size1 === size2) {
    if (proof.length > 0)
      throw cryptoError('invalid_proof', { detail: 'equal sizes, non-empty proof' });
    assertMatch(root1, root2, 'root2');
    return;
  }
  if (proof.length === 0) throw cryptoError('invalid_proof', { detail: 'empty proof' });
  const s1 = BigInt(size1);
  const decomposition = decompose(s1 - 1n, BigInt(size2));
  const shift = trailingZeros(s1);
  const inner = decomposition.inner - shift;
  // When size1 is a power of two its whole tree is a node of the new tree: root1 is the seed.
  // Otherwise the proof starts with the hash of the largest complete subtree ending at size1.
  const seedFromRoot = s1 === 1n << BigInt(shift);
  const start = seedFromRoot ? 0 : 1;
  if (proof.length !== start + inner + decomposition.border) {
    throw cryptoError('invalid_proof', { detail: `proof length ${proof.length}` });
  }
  const seed = seedFromRoot ? root1 : (proof[0] as Uint8Array);
  if (!(seed instanceof Uint8Array) || seed.length !== hasher.size) {
    throw cryptoError('root_mismatch', { detail: 'root1' });
  }
  const path = proof.slice(start, start + inner);
  const border = proof.slice(start + inner);
  const mask = (s1 - 1n) >> BigInt(shift);
  assertMatch(
    chainBorderRight(hasher, chainInnerRight(hasher, seed, path, mask), border),
    root1,
    'root1',
  );
  assertMatch(
    chainBorderRight(hasher, chainInner(hasher, seed, path, mask), border),
    root2,
    'root2',
  );
}
