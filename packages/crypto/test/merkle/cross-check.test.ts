// The fast proof builders, compact range and verifiers against the naive RFC 6962 reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
import { ReferenceTree, syntheticLeaves } from './reference.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const MAX = 256;
const leaves = syntheticLeaves(MAX);
const reference = new ReferenceTree(leaves);

// Build the "storage": every complete-subtree hash, reported once by the compact range.
const stored = new Map<string, Uint8Array>();
const range = createCompactRange(rfc6962Hasher);
const key = (id: NodeId) => `${id.level}/${id.index}`;
for (const leaf of leaves) {
  range.append(rfc6962Hasher.hashLeaf(leaf), (id, hash) => {
    assert.equal(stored.has(key(id)), false, 'a node is written exactly once');
    stored.set(key(id), hash);
  });
}
const read = (ids: readonly NodeId[]) => ids.map((id) => stored.get(key(id))!);

test('compact range and stored-hash roots equal MTH for every size 0..256', () => {
  const growing = createCompactRange(rfc6962Hasher);
  for (let n = 0; n <= MAX; n++) {
    const expected = hex(new ReferenceTree(leaves.slice(0, n)).mth());
    assert.equal(hex(growing.root()), expected, `compact root ${n}`);
    assert.equal(hex(rootFromStoredHashes(rfc6962Hasher, n, read(treeRootNodes(n)))), expected);
    // Re-opening a compact range from stored hashes continues identically.
    const reopened = createCompactRange(rfc6962Hasher, n, read(treeRootNodes(n)));
    assert.equal(hex(reopened.root()), expected);
    if (n < MAX) growing.append(rfc6962Hasher.hashLeaf(leaves[n]!));
  }
});

test('inclusion proofs equal RFC 6962 PATH and verify, for every (index, size <= 256)', () => {
  for (let n = 1; n <= MAX; n++) {
    const tree = new ReferenceTree(leaves.slice(0, n));
    const root = tree.mth();
    for (let m = 0; m < n; m++) {
      const nodes = inclusionProofNodes(m, n);
      const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
      assert.deepEqual(proof.map(hex), tree.path(m).map(hex), `path ${m}/${n}`);
      verifyInclusion(rfc6962Hasher, m, n, rfc6962Hasher.hashLeaf(leaves[m]!), proof, root);
    }
  }
});

function checkConsistency(m: number, n: number): void {
  const nodes = consistencyProofNodes(m, n);
  const proof = assembleProof(rfc6962Hasher, nodes, read(nodes.ids));
  assert.deepEqual(proof.map(hex), reference.proof(m, n).map(hex), `proof ${m}->${n}`);
  verifyConsistency(rfc6962Hasher, m, n, proof, reference.mth(0, m), reference.mth(0, n));
}

test('consistency proofs equal RFC 6962 PROOF and verify, exhaustively for sizes <= 64', () => {
  for (let n = 1; n <= 64; n++) for (let m = 1; m <= n; m++) checkConsistency(m, n);
});

test('consistency proofs for sampled sizes up to 256', () => {
  for (let n = 65; n <= MAX; n += 7) {
    for (const m of [1, 2, 3, 31, 32, 33, 63, 64, 65, n - 1, n].filter((x) => x >= 1 && x <= n)) {
      checkConsistency(m, n);
    }
  }
});

test('a proof for a different leaf or size is refused', () => {
  const tree = new ReferenceTree(leaves.slice(0, 13));
  const proof = tree.path(5);
  const leaf = rfc6962Hasher.hashLeaf(leaves[5]!);
  assert.throws(() => verifyInclusion(rfc6962Hasher, 4, 13, leaf, proof, tree.mth()), {
    code: 'root_mismatch',
  });
  assert.throws(() => verifyInclusion(rfc6962Hasher, 5, 8, leaf, proof, tree.mth()), {
    code: 'invalid_proof',
  });
  assert.throws(() => verifyInclusion(rfc6962Hasher, 13, 13, leaf, proof, tree.mth()), {
    code: 'invalid_tree_size',
  });
  // The root of another size does not match.
  const bigger = new ReferenceTree(leaves.slice(0, 14));
  assert.throws(() => verifyInclusion(rfc6962Hasher, 5, 13, leaf, proof, bigger.mth()), {
    code: 'root_mismatch',
  });
});
