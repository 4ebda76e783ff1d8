// fast-check properties: a proof for index i of size n verifies, and a single-bit change of any
// proof hash, root or leaf, or of the index, never verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assembleProof,
  consistencyProofNodes,
  createCompactRange,
  inclusionProofNodes,
  rfc6962Hasher,
  rootFromStoredHashes,
  treeRootNodes,
  verifyConsistency,
  verifyInclusion,
} from '../../src/index.ts';
import type { NodeId } from '../../src/index.ts';
import { syntheticLeaves } from './reference.ts';

const MAX = 1500;
const leaves = syntheticLeaves(MAX).map((d) => rfc6962Hasher.hashLeaf(d));
const stored = new Map<string, Uint8Array>();
const key = (id: NodeId) => `${id.level}/${id.index}`;
const range = createCompactRange(rfc6962Hasher);
for (const leaf of leaves) range.append(leaf, (id, hash) => stored.set(key(id), hash));
const read = (ids: readonly NodeId[]) => ids.map((id) => stored.get(key(id))!);
const rootOf = (n: number) => rootFromStoredHashes(rfc6962Hasher, n, read(treeRootNodes(n)));

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[Math.floor(bit / 8) % out.length]! ^= 1 << (bit % 8);
  return out;
}
const verifies = (run: () => void) => {
  try {
    run();
    return true;
  } catch (error) {
    assert.equal((error as Error).name, 'StellaError');
    return false;
  }
};

const sizeAndIndex = fc
  .integer({ min: 1, max: MAX })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));

test('inclusion: valid proofs verify; single-bit flips of proof, root, leaf or index do not', () => {
  fc.assert(
    fc.property(sizeAndIndex, fc.nat(), fc.nat({ max: 255 }), ([n, i], which, bit) => {
      const nodes = inclusionProofNodes(i, n);
      const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
      const root = rootOf(n);
      const leaf = leaves[i]!;
      assert.ok(verifies(() => verifyInclusion(rfc6962Hasher, i, n, leaf, proof, root)));
      const badRoot = flip(root, bit);
      assert.ok(!verifies(() => verifyInclusion(rfc6962Hasher, i, n, leaf, proof, badRoot)));
      const badLeaf = flip(leaf, bit);
      assert.ok(!verifies(() => verifyInclusion(rfc6962Hasher, i, n, badLeaf, proof, root)));
      if (proof.length > 0) {
        const bad = proof.map((h, k) => (k === which % proof.length ? flip(h, bit) : h));
        assert.ok(!verifies(() => verifyInclusion(rfc6962Hasher, i, n, leaf, bad, root)));
      }
      const badIndex = i ^ (1 << (bit % 12));
      assert.ok(!verifies(() => verifyInclusion(rfc6962Hasher, badIndex, n, leaf, proof, root)));
    }),
    { numRuns: 300 },
  );
});

const sizes = fc
  .integer({ min: 1, max: MAX })
  .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

test('consistency: valid proofs verify; single-bit flips of proof or either root do not', () => {
  fc.assert(
    fc.property(sizes, fc.nat(), fc.nat({ max: 255 }), ([m, n], which, bit) => {
      const nodes = consistencyProofNodes(m, n);
      const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
      const [r1, r2] = [rootOf(m), rootOf(n)];
      assert.ok(verifies(() => verifyConsistency(rfc6962Hasher, m, n, proof, r1, r2)));
      const bad1 = flip(r1, bit);
      const bad2 = flip(r2, bit);
      assert.ok(!verifies(() => verifyConsistency(rfc6962Hasher, m, n, proof, bad1, r2)));
      assert.ok(!verifies(() => verifyConsistency(rfc6962Hasher, m, n, proof, r1, bad2)));
      if (proof.length > 0) {
        const bad = proof.map((h, k) => (k === which % proof.length ? flip(h, bit) : h));
        assert.ok(!verifies(() => verifyConsistency(rfc6962Hasher, m, n, bad, r1, r2)));
      }
    }),
    { numRuns: 300 },
  );
});

test('consistency: a single-bit flip of size1 never verifies', () => {
  fc.assert(
    fc.property(sizes, fc.nat({ max: 11 }), ([m, n], bit) => {
      const nodes = consistencyProofNodes(m, n);
      const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
      const m2 = m ^ (1 << bit);
      assert.ok(
        !verifies(() => verifyConsistency(rfc6962Hasher, m2, n, proof, rootOf(m), rootOf(n))),
      );
    }),
    { numRuns: 300 },
  );
});

// RFC 9162 proofs do not authenticate the (larger) tree size by themselves: the same proof can
// verify for another size whose proof shape is identical (e.g. leaf 5 of 12 vs 13 leaves). The
// size is authenticated by the signed checkpoint that carries (size, root) together, so callers
// must take `size` from a verified checkpoint. This test pins that behaviour down explicitly.
test('tree size is bound by the checkpoint, not by the proof (documented RFC 9162 property)', () => {
  const nodes = inclusionProofNodes(5, 13);
  const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
  assert.ok(verifies(() => verifyInclusion(rfc6962Hasher, 5, 12, leaves[5]!, proof, rootOf(13))));
  // A size that changes the proof shape is refused.
  assert.ok(!verifies(() => verifyInclusion(rfc6962Hasher, 5, 8, leaves[5]!, proof, rootOf(13))));
});
