// Test helper: the stored-hash table held in a Map, filled through the same pure append path the
// sequencer uses (`appendLeafHashes` over the right border), so big trees (10^6 leaves) need no
// database rows; reads go through a `NodeReader` exactly like the SQL one.
import { treeRootNodes } from '@stella/crypto';
import type { NodeId } from '@stella/crypto';
import { appendLeafHashes, logHasher } from '../../src/tlog/log-hashes.ts';
import type { NodeReader } from '../../src/tlog/log-hashes.ts';

export const hasher = logHasher;
const key = (id: NodeId): string => `${id.level}/${id.index}`;

export class MemoryTree {
  readonly hashes = new Map<string, Uint8Array>();
  size = 0;
  reads = 0;

  appendLeafHashes(leafHashes: readonly Uint8Array[]): void {
    const border = treeRootNodes(this.size).map((id) => this.hashes.get(key(id))!);
    for (const stored of appendLeafHashes(this.size, border, leafHashes).stored) {
      this.hashes.set(key(stored), stored.hash);
    }
    this.size += leafHashes.length;
  }

  readonly reader: NodeReader = (ids) => {
    this.reads += ids.length;
    return Promise.resolve(
      ids.map((id) => {
        const hash = this.hashes.get(key(id));
        if (hash === undefined) throw new Error(`missing ${key(id)}`);
        return hash;
      }),
    );
  };
}

/**
 * RFC 9162 §2.1.1 / §2.1.3.1 / §2.1.4.1 written naively from the definitions over leaf hashes,
 * as the reference. Roots of sub-ranges are memoised so the every-(index, size) sweep stays fast;
 * the recursion itself is the RFC text.
 */
export class NaiveTree {
  private readonly memo = new Map<string, Uint8Array>();
  constructor(private readonly leaves: readonly Uint8Array[]) {}

  root(lo: number, hi: number): Uint8Array {
    if (hi === lo) return hasher.emptyRoot();
    if (hi - lo === 1) return this.leaves[lo]!;
    const k = `${lo}:${hi}`;
    const cached = this.memo.get(k);
    if (cached !== undefined) return cached;
    const s = split(hi - lo);
    const value = hasher.hashChildren(this.root(lo, lo + s), this.root(lo + s, hi));
    this.memo.set(k, value);
    return value;
  }

  /** PATH(m, D[lo:hi]) */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    if (hi - lo <= 1) return [];
    const s = split(hi - lo);
    return m < s
      ? [...this.path(m, lo, lo + s), this.root(lo + s, hi)]
      : [...this.path(m - s, lo + s, hi), this.root(lo, lo + s)];
  }

  /** SUBPROOF(m, D[lo:hi], b) */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    if (m === hi - lo) return b ? [] : [this.root(lo, hi)];
    const s = split(hi - lo);
    return m <= s
      ? [...this.subproof(m, lo, lo + s, b), this.root(lo + s, hi)]
      : [...this.subproof(m - s, lo + s, hi, false), this.root(lo, lo + s)];
  }
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
