// transparency-dev/merkle testdata (copied from /work/shared/testdata/vectors): every happy path
// verifies, every named mutation (`wantErr`) is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rfc6962Hasher, verifyConsistency, verifyInclusion } from '../../src/index.ts';

interface InclusionCase {
  file: string;
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyCase {
  file: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

const load = <T>(name: string): T[] =>
  (
    JSON.parse(readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8')) as {
      cases: T[];
    }
  ).cases;
const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

const inclusion = load<InclusionCase>('merkle-inclusion.json');
const consistency = load<ConsistencyCase>('merkle-consistency.json');

test('inclusion vectors', async (t) => {
  assert.ok(inclusion.length > 50);
  for (const c of inclusion) {
    await t.test(c.file, () => {
      const run = () =>
        verifyInclusion(
          rfc6962Hasher,
          c.leafIdx,
          c.treeSize,
          b64(c.leafHash),
          (c.proof ?? []).map(b64),
          b64(c.root),
        );
      if (c.wantErr) assert.throws(run, { name: 'StellaError' });
      else assert.doesNotThrow(run);
    });
  }
});

test('consistency vectors', async (t) => {
  assert.ok(consistency.length > 50);
  for (const c of consistency) {
    await t.test(c.file, () => {
      const run = () =>
        verifyConsistency(
          rfc6962Hasher,
          c.size1,
          c.size2,
          (c.proof ?? []).map(b64),
          b64(c.root1),
          b64(c.root2),
        );
      if (c.wantErr) assert.throws(run, { name: 'StellaError' });
      else assert.doesNotThrow(run);
    });
  }
});
