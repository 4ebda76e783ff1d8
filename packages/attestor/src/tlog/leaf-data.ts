import { canonicalize, isSha256Digest, isSha256Hex, parseJsonStrict } from '@stella/core';
import type { Sha256Digest } from '@stella/core';
import { attestorError } from '../errors.ts';

/** One attested artifact as recorded in the log: the in-toto subject name and its SHA-256. */
export interface LeafSubject {
  readonly name: string;
  readonly digest: Sha256Digest;
}

/**
 * The log leaf (PLATFORM.md §6): RFC 8785 bytes of this object are RFC 9162 leaf data, so the
 * leaf hash is SHA-256(0x00 ‖ JCS(leaf)). `envelopeSha256` is the SHA-256 (hex) of the JCS bytes
 * of the DSSE envelope JSON, `payloadSha256` that of the decoded payload bytes, `subjects` are
 * sorted by digest then name, `integratedTime` is whole seconds since the epoch.
 */
export interface LeafData {
  readonly kind: 'dsse/v1';
  readonly envelopeSha256: string;
  readonly payloadSha256: string;
  readonly predicateType: string;
  readonly subjects: readonly LeafSubject[];
  readonly integratedTime: number;
}

export function sortSubjects(subjects: readonly LeafSubject[]): LeafSubject[] {
  return [...subjects]
    .map((s) => ({ name: s.name, digest: s.digest }))
    .sort((a, b) =>
      a.digest < b.digest
        ? -1
        : a.digest > b.digest
          ? 1
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : 0,
    );
}

export function encodeLeafData(leaf: LeafData): Uint8Array {
  return canonicalize({
    kind: leaf.kind,
    envelopeSha256: leaf.envelopeSha256,
    payloadSha256: leaf.payloadSha256,
    predicateType: leaf.predicateType,
    subjects: sortSubjects(leaf.subjects),
    integratedTime: leaf.integratedTime,
  });
}

const FIELDS = [
  'envelopeSha256',
  'integratedTime',
  'kind',
  'payloadSha256',
  'predicateType',
  'subjects',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses leaf bytes from a receipt (attacker-controlled offline input): exact field set, and the
 * bytes must be the canonical encoding of what they say — so two byte strings never claim the
 * same leaf, and a verifier that recomputes the leaf hash hashes exactly what the log hashed.
 */
export function parseLeafData(bytes: Uint8Array): LeafData {
  const fail = (detail: string) =>
    attestorError('invalid_request', { detail: `leafData: ${detail}` });
  let value: unknown;
  try {
    value = parseJsonStrict(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw fail('not JSON');
  }
  if (!isRecord(value)) throw fail('not an object');
  const keys = Object.keys(value).sort();
  if (keys.length !== FIELDS.length || keys.some((k, i) => k !== FIELDS[i])) throw fail('fields');
  const { kind, envelopeSha256, payloadSha256, predicateType, subjects, integratedTime } = value;
  if (kind !== 'dsse/v1') throw fail('kind');
  if (!isSha256Hex(envelopeSha256) || !isSha256Hex(payloadSha256)) throw fail('digests');
  if (typeof predicateType !== 'string' || predicateType.length === 0) throw fail('predicateType');
  if (
    typeof integratedTime !== 'number' ||
    !Number.isSafeInteger(integratedTime) ||
    integratedTime < 0
  ) {
    throw fail('integratedTime');
  }
  if (!Array.isArray(subjects) || subjects.length === 0) throw fail('subjects');
  const parsed = subjects.map((s: unknown) => {
    if (!isRecord(s) || Object.keys(s).length !== 2) throw fail('subject');
    const { name, digest } = s;
    if (typeof name !== 'string' || !isSha256Digest(digest)) throw fail('subject');
    return { name, digest };
  });
  const leaf: LeafData = {
    kind,
    envelopeSha256,
    payloadSha256,
    predicateType,
    subjects: parsed,
    integratedTime,
  };
  if (Buffer.compare(Buffer.from(encodeLeafData(leaf)), Buffer.from(bytes)) !== 0) {
    throw fail('not canonical');
  }
  return leaf;
}
