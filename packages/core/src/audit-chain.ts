import { createHash } from 'node:crypto';
import { canonicalize } from './canonical-json.ts';
import { constantTimeEqual, isSha256Hex } from './digest.ts';
import { coreError, isStellaError } from './errors.ts';
import type { AuditEvent } from './ports.ts';

/**
 * Per-tenant audit hash chain (PLATFORM.md §7): `hash = SHA-256(prevHash ‖ JCS(event))` where
 * `prevHash` is the previous record's hash as 32 raw bytes and the first record links to
 * `AUDIT_GENESIS`. Hashes travel as 64 lowercase hex characters.
 */
export const AUDIT_GENESIS = '0'.repeat(64);

export function auditChainHash(prevHashHex: string, event: AuditEvent): string {
  return auditChainHashOfCanonical(prevHashHex, canonicalize(event));
}

/**
 * The same hash over an event already in its RFC 8785 form (`canonical` must be exactly
 * `canonicalize(event)` as UTF-8 bytes or text): for a writer that stores those bytes and should
 * not canonicalise twice. One definition of the chain for writers and verifiers.
 */
export function auditChainHashOfCanonical(
  prevHashHex: string,
  canonical: Uint8Array | string,
): string {
  if (!isSha256Hex(prevHashHex)) throw coreError('invalid_digest', { detail: 'audit prevHash' });
  return createHash('sha256')
    .update(Buffer.from(prevHashHex, 'hex'))
    .update(canonical)
    .digest('hex');
}

export interface AuditChainRecord {
  readonly seq: number;
  readonly hash: string;
  readonly prevHash: string;
  readonly event: AuditEvent;
}

export type AuditChainFailure =
  'seq_gap' | 'invalid_hash' | 'prev_hash_mismatch' | 'invalid_event' | 'hash_mismatch';

export type AuditChainVerdict =
  | { readonly ok: true; readonly count: number; readonly head: string }
  | { readonly ok: false; readonly seq: number; readonly reason: AuditChainFailure };

/**
 * Verifies one tenant's chain in order: `seq` runs 1, 2, 3, … without gaps, each `prevHash` is
 * the previous `hash` (genesis for seq 1), and each `hash` recomputes from `prevHash` and the
 * event. Comparisons are constant-time. Reports the first failing `seq` (the expected one for a
 * gap). An empty chain is valid with `head = AUDIT_GENESIS`.
 */
export function verifyAuditChain(records: Iterable<AuditChainRecord>): AuditChainVerdict {
  let expectedSeq = 1;
  let head = AUDIT_GENESIS;
  for (const record of records) {
    if (record.seq !== expectedSeq) return { ok: false, seq: expectedSeq, reason: 'seq_gap' };
    if (!isSha256Hex(record.hash) || !isSha256Hex(record.prevHash)) {
      return { ok: false, seq: expectedSeq, reason: 'invalid_hash' };
    }
    if (!hexEqual(record.prevHash, head)) {
      return { ok: false, seq: expectedSeq, reason: 'prev_hash_mismatch' };
    }
    let recomputed: string;
    try {
      recomputed = auditChainHash(record.prevHash, record.event);
    } catch (error) {
      if (!isStellaError(error)) throw error;
      return { ok: false, seq: expectedSeq, reason: 'invalid_event' };
    }
    if (!hexEqual(recomputed, record.hash)) {
      return { ok: false, seq: expectedSeq, reason: 'hash_mismatch' };
    }
    head = record.hash;
    expectedSeq += 1;
  }
  return { ok: true, count: expectedSeq - 1, head };
}

function hexEqual(a: string, b: string): boolean {
  return constantTimeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
