/**
 * RFC 9162 §2.1.1 (= RFC 6962 §2.1) Merkle tree hashing with SHA-256. The `Hasher` interface
 * (after transparency-dev/merkle) lets the proof code stay independent of the hash function.
 */
import { createHash } from 'node:crypto';

export interface Hasher {
  /** Output size in bytes; every node hash, leaf hash and root has exactly this length. */
  readonly size: number;
  /** MTH({}) = HASH() — the root of the empty tree. */
  emptyRoot(): Uint8Array;
  /** MTH({d}) = HASH(0x00 || d): the 0x00 prefix separates leaves from interior nodes. */
  hashLeaf(data: Uint8Array): Uint8Array;
  /** HASH(0x01 || left || right) for an interior node (second-preimage resistance, §2.1.1). */
  hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array;
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function digest(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export const rfc6962Hasher: Hasher = Object.freeze({
  size: 32,
  emptyRoot: () => digest(),
  hashLeaf: (data: Uint8Array) => digest(LEAF_PREFIX, data),
  hashChildren: (left: Uint8Array, right: Uint8Array) => digest(NODE_PREFIX, left, right),
});

/** Leaf hash of the SHA-256 RFC 9162 tree: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return rfc6962Hasher.hashLeaf(data);
}

/** Interior node hash of the SHA-256 RFC 9162 tree: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return rfc6962Hasher.hashChildren(left, right);
}
