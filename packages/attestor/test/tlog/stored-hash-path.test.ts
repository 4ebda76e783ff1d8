import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { rfc6962Hasher, verifyConsistency, verifyInclusion } from '@stella/crypto';
import { readConsistencyProof, readInclusionProof, readRoot } from '../../src/tlog/log-hashes.ts';
import { MemoryTree, b64, hex, NaiveTree } from './memory-tree.ts';

// RFC 6962 / transparency-dev/merkle test leaves and their published roots for sizes 0..8.
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

function treeOf(count: number, batch = 1): MemoryTree {
  const tree = new MemoryTree();
  const hashes = LEAVES.slice(0, count).map((d) => rfc6962Hasher.hashLeaf(d));
  for (let i = 0; i < hashes.length; i += batch) tree.appendLeafHashes(hashes.slice(i, i + batch));
  return tree;
}

test('RFC 6962 roots for sizes 0..8 through the stored-hash path, any batch size', async () => {
  for (const batch of [1, 2, 3, 8]) {
    for (let size = 0; size <= 8; size += 1) {
      assert.equal(hex(await readRoot(treeOf(size, batch).reader, size)), ROOTS[size]);
    }
  }
  // A tree grown to 8 still answers the root of every earlier size from the same stored rows.
  const eight = treeOf(8, 3);
  for (let size = 0; size <= 8; size += 1) {
    assert.equal(hex(await readRoot(eight.reader, size)), ROOTS[size]);
  }
});

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  proof: string[] | null;
  desc: string;
}
interface ConsistencyCase {
  size1: number;
  size2: number;
  proof: string[] | null;
  desc: string;
}
const dir = new URL('../testdata/', import.meta.url);
const inclusion = JSON.parse(readFileSync(new URL('merkle-inclusion.json', dir), 'utf8')) as {
  cases: InclusionCase[];
};
const consistency = JSON.parse(readFileSync(new URL('merkle-consistency.json', dir), 'utf8')) as {
  cases: ConsistencyCase[];
};

test('generated proofs equal the published transparency-dev/merkle vectors', async () => {
  const tree = treeOf(8, 3);
  const happyIncl = inclusion.cases.filter((c) => c.desc === 'happy path');
  assert.ok(happyIncl.length >= 4);
  for (const c of happyIncl) {
    const proof = (await readInclusionProof(tree.reader, c.leafIdx, c.treeSize)).map(b64);
    assert.deepEqual(proof, c.proof ?? [], c.desc);
  }
  const happyCons = consistency.cases.filter((c) => c.desc === 'happy path');
  assert.ok(happyCons.length >= 4);
  for (const c of happyCons) {
    const proof = (await readConsistencyProof(tree.reader, c.size1, c.size2)).map(b64);
    assert.deepEqual(proof, c.proof ?? [], `${c.size1}->${c.size2}`);
  }
});

test('naive reference cross-checks every (index, size) and (from, to) up to 256', async () => {
  const leaves = Array.from({ length: 256 }, (_, i) =>
    rfc6962Hasher.hashLeaf(new Uint8Array([i & 0xff, i >> 8])),
  );
  const tree = new MemoryTree();
  // Uneven batches exercise the frontier logic the sequencer relies on.
  for (let i = 0; i < leaves.length;) {
    const n = 1 + (i % 7);
    tree.appendLeafHashes(leaves.slice(i, i + n));
    i += n;
  }
  const naive = new NaiveTree(leaves);
  for (let size = 1; size <= 256; size += 1) {
    assert.equal(hex(await readRoot(tree.reader, size)), hex(naive.root(0, size)));
    for (let index = 0; index < size; index += 1) {
      const got = (await readInclusionProof(tree.reader, index, size)).map(hex);
      assert.deepEqual(got, naive.path(index, 0, size).map(hex), `inclusion ${index}/${size}`);
    }
    for (let from = 1; from <= size; from += 1) {
      const got = (await readConsistencyProof(tree.reader, from, size)).map(hex);
      const want = naive.subproof(from, 0, size, true).map(hex);
      assert.deepEqual(got, want, `consistency ${from}/${size}`);
    }
  }
});

// One tree of 10^6 leaves, built through the same append path; stored hashes live in memory.
const BIG = 1_000_000;
let big: MemoryTree | undefined;
function bigTree(): MemoryTree {
  if (big !== undefined) return big;
  big = new MemoryTree();
  const chunk: Uint8Array[] = [];
  for (let i = 0; i < BIG; i += 1) {
    chunk.push(rfc6962Hasher.hashLeaf(Buffer.from(String(i))));
    if (chunk.length === 4096 || i === BIG - 1) {
      big.appendLeafHashes(chunk);
      chunk.length = 0;
    }
  }
  return big;
}

test('property: random (index, size) up to 10^6 via stored hashes verify and read O(log n) nodes', async () => {
  const tree = bigTree();
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 1, max: BIG })
        .chain((size) =>
          fc.tuple(
            fc.constant(size),
            fc.integer({ min: 0, max: size - 1 }),
            fc.integer({ min: 1, max: size }),
          ),
        ),
      async ([size, index, from]) => {
        const root = await readRoot(tree.reader, size);
        tree.reads = 0;
        const proof = await readInclusionProof(tree.reader, index, size);
        assert.ok(tree.reads <= 2 * Math.ceil(Math.log2(size + 1)) + 2, 'O(log n) reads');
        const leaf = rfc6962Hasher.hashLeaf(Buffer.from(String(index)));
        verifyInclusion(rfc6962Hasher, index, size, leaf, proof, root);
        const oldRoot = await readRoot(tree.reader, from);
        const consistency = await readConsistencyProof(tree.reader, from, size);
        verifyConsistency(rfc6962Hasher, from, size, consistency, oldRoot, root);
      },
    ),
    { numRuns: 200 },
  );
});

test('out-of-tree requests are refused, never answered', async () => {
  const tree = treeOf(5);
  await assert.rejects(readInclusionProof(tree.reader, 5, 5));
  await assert.rejects(readInclusionProof(tree.reader, 0, 0));
  await assert.rejects(readConsistencyProof(tree.reader, 0, 5));
  await assert.rejects(readConsistencyProof(tree.reader, 6, 5));
  await assert.rejects(readInclusionProof(tree.reader, -1, 5));
  await assert.rejects(readInclusionProof(tree.reader, 1.5, 5));
  // A plan beyond the stored tree finds no rows and refuses rather than guessing.
  await assert.rejects(readInclusionProof(tree.reader, 0, 6));
});
