// RFC 6962 test leaves and roots from the Go/C++ Certificate Transparency test data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createCompactRange,
  leafHash,
  nodeHash,
  rfc6962Hasher,
  rangeNodes,
  consistencyProofNodes,
  inclusionProofNodes,
} from '../../src/index.ts';
import { ReferenceTree } from './reference.ts';

const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('roots of sizes 0..8 match the CT test data (fast and reference)', () => {
  const range = createCompactRange(rfc6962Hasher);
  for (let n = 0; n <= 8; n++) {
    assert.equal(hex(range.root()), ROOTS[n], `compact range size ${n}`);
    assert.equal(hex(new ReferenceTree(LEAVES.slice(0, n)).mth()), ROOTS[n], `reference ${n}`);
    if (n < 8) range.append(leafHash(LEAVES[n]!));
  }
});

test('leaf and node hashing use the 0x00 / 0x01 domain separation prefixes', () => {
  assert.equal(hex(leafHash(new Uint8Array())), ROOTS[1]);
  const [a, b] = [leafHash(LEAVES[0]!), leafHash(LEAVES[1]!)];
  assert.equal(hex(nodeHash(a, b)), ROOTS[2]);
  assert.notEqual(hex(nodeHash(a, b)), hex(leafHash(Buffer.concat([a, b]))));
});

test('node ids: right border decomposition and proof node counts', () => {
  assert.deepEqual(rangeNodes(0, 7), [
    { level: 2, index: 0 },
    { level: 1, index: 2 },
    { level: 0, index: 6 },
  ]);
  assert.deepEqual(rangeNodes(0, 0), []);
  assert.deepEqual(rangeNodes(3, 8), [
    { level: 0, index: 3 },
    { level: 2, index: 1 },
  ]);
  // Leaf 0 of 7: siblings leaf 1, node (1,1), then the ephemeral node over leaves [4,7).
  const nodes = inclusionProofNodes(0, 7);
  assert.deepEqual(nodes.elements, [
    { start: 0, end: 1 },
    { start: 1, end: 2 },
    { start: 2, end: 4 },
  ]);
  assert.deepEqual(consistencyProofNodes(4, 4), { ids: [], elements: [] });
  assert.throws(() => consistencyProofNodes(0, 4), { code: 'invalid_tree_size' });
  assert.throws(() => consistencyProofNodes(5, 4), { code: 'invalid_tree_size' });
  assert.throws(() => inclusionProofNodes(4, 4), { code: 'invalid_tree_size' });
  assert.throws(() => inclusionProofNodes(-1, 4), { code: 'invalid_tree_size' });
  assert.throws(() => inclusionProofNodes(0, 2 ** 64), { code: 'invalid_tree_size' });
});
