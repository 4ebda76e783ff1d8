import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet } from 'jose';
import type { JSONWebKeySet } from 'jose';
import {
  auditChainHash,
  canonicalizeToString,
  constantTimeEqual,
  isSha256Hex,
  parseJsonStrict,
  verifyAuditChain,
} from '@stella/core';
import type { AuditChainRecord, AuditEvent } from '@stella/core';
import { AUDIT_HEAD_TYP, parseAuditManifest } from './audit-manifest.ts';
import type { AuditManifest } from './audit-manifest.ts';

/**
 * Offline verification of an audit export (PLATFORM.md §7 "Audit"). Pure: the caller reads the
 * files; nothing here touches the network or the clock. Steps run in order and stop at the
 * first failure, which is reported by name.
 */
export const AUDIT_VERIFY_STEPS = [
  'manifest',
  'events-digest',
  'records',
  'chain',
  'attestation',
] as const;
export type AuditVerifyStep = (typeof AUDIT_VERIFY_STEPS)[number];

export interface AuditVerifyStepResult {
  readonly step: AuditVerifyStep;
  readonly ok: boolean;
  readonly detail: string;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  readonly failedStep?: AuditVerifyStep;
  readonly steps: readonly AuditVerifyStepResult[];
  readonly tenant?: string;
  readonly count?: number;
  readonly headSeq?: number;
  readonly headHash?: string;
}

export interface AuditVerifyInput {
  readonly manifestText: string;
  readonly eventsBytes: Uint8Array;
  /** Keys to trust for the attestation; without them, the manifest's own `jwks` is used. */
  readonly trustedJwks?: JSONWebKeySet;
}

class StepFailure extends Error {
  constructor(
    readonly step: AuditVerifyStep,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const hexEqual = (a: string, b: string) =>
  isSha256Hex(a) &&
  isSha256Hex(b) &&
  constantTimeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** One NDJSON line → a chain record; each line must be the RFC 8785 form the exporter wrote. */
export function parseAuditRecordLine(line: string, tenant: string): AuditChainRecord | string {
  let value: unknown;
  try {
    value = parseJsonStrict(line, { maxBytes: 1024 * 1024 });
  } catch {
    return 'not strict JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const r = value as Record<string, unknown>;
  const keys = Object.keys(r).sort().join(',');
  if (keys !== 'event,hash,prevHash,seq')
    return 'fields must be exactly seq, hash, prevHash, event';
  if (typeof r['seq'] !== 'number' || !Number.isSafeInteger(r['seq']) || r['seq'] < 1) return 'seq';
  if (typeof r['hash'] !== 'string' || typeof r['prevHash'] !== 'string') return 'hash';
  const event = r['event'];
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'event';
  if ((event as Record<string, unknown>)['tenant'] !== tenant) return 'event of another tenant';
  if (canonicalizeToString(value) !== line) return 'not in canonical (RFC 8785) form';
  return { seq: r['seq'], hash: r['hash'], prevHash: r['prevHash'], event: event as AuditEvent };
}

/**
 * Chain linkage for an export that starts after seq 1 (`--since`): the first record's
 * `prevHash` is taken as given, everything after it must link and recompute.
 */
export function verifyChainSuffix(
  records: readonly AuditChainRecord[],
  firstSeq: number,
): string | undefined {
  let prev: string | undefined;
  for (const [i, record] of records.entries()) {
    if (record.seq !== firstSeq + i) return `seq ${firstSeq + i}: gap`;
    if (!isSha256Hex(record.hash) || !isSha256Hex(record.prevHash))
      return `seq ${record.seq}: invalid hash`;
    if (prev !== undefined && !hexEqual(prev, record.prevHash))
      return `seq ${record.seq}: prevHash mismatch`;
    let recomputed: string;
    try {
      recomputed = auditChainHash(record.prevHash, record.event);
    } catch {
      return `seq ${record.seq}: invalid event`;
    }
    if (!hexEqual(recomputed, record.hash)) return `seq ${record.seq}: hash mismatch`;
    prev = record.hash;
  }
  return undefined;
}

async function verifyAttestation(m: AuditManifest, jwks: JSONWebKeySet): Promise<string> {
  let payload: Uint8Array;
  let header: Record<string, unknown>;
  try {
    ({ payload, protectedHeader: header } = await compactVerify(
      m.attestation,
      createLocalJWKSet(jwks),
      {
        algorithms: ['ES256', 'EdDSA'],
      },
    ));
  } catch (error) {
    throw new StepFailure(
      'attestation',
      `signature does not verify (${(error as { code?: string }).code ?? 'invalid'})`,
    );
  }
  // RFC 8725 §3.11 explicit typing: an access token signed by the same key is not a head claim.
  if (header['typ'] !== AUDIT_HEAD_TYP)
    throw new StepFailure('attestation', `typ is not ${AUDIT_HEAD_TYP}`);
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new StepFailure('attestation', 'payload is not JSON');
  }
  if (claims['tenant'] !== m.tenant) throw new StepFailure('attestation', 'names another tenant');
  if (claims['headSeq'] !== m.lastSeq)
    throw new StepFailure('attestation', 'names another head seq');
  if (typeof claims['headHash'] !== 'string' || !hexEqual(claims['headHash'], m.headHash)) {
    throw new StepFailure('attestation', 'names another head hash');
  }
  const count = claims['count'];
  if (typeof count !== 'number') throw new StepFailure('attestation', 'count missing');
  // A full export must hold every event of the chain; a --since export a suffix of it.
  if (m.firstSeq === 1 ? count !== m.count : count < m.count) {
    throw new StepFailure('attestation', 'count differs from the export');
  }
  return `signed by ${typeof header['kid'] === 'string' ? header['kid'].slice(0, 64) : 'a trusted key'}`;
}

export async function verifyAuditExport(input: AuditVerifyInput): Promise<AuditVerifyResult> {
  const steps: AuditVerifyStepResult[] = [];
  let manifest: AuditManifest | undefined;
  try {
    const parsed = parseAuditManifest(input.manifestText);
    if (typeof parsed === 'string') throw new StepFailure('manifest', parsed);
    manifest = parsed;
    steps.push({
      step: 'manifest',
      ok: true,
      detail: `tenant ${parsed.tenant}, ${parsed.count} record(s)`,
    });

    const digest = `sha256:${createHash('sha256').update(input.eventsBytes).digest('hex')}`;
    if (digest !== parsed.eventsSha256)
      throw new StepFailure('events-digest', 'events.ndjson does not match eventsSha256');
    steps.push({ step: 'events-digest', ok: true, detail: digest });

    const text = Buffer.from(input.eventsBytes).toString('utf8');
    const lines = text === '' ? [] : text.endsWith('\n') ? text.slice(0, -1).split('\n') : [text];
    if (text !== '' && !text.endsWith('\n'))
      throw new StepFailure('records', 'events.ndjson must end with a newline');
    const records: AuditChainRecord[] = [];
    for (const [i, line] of lines.entries()) {
      const record = parseAuditRecordLine(line, parsed.tenant);
      if (typeof record === 'string') throw new StepFailure('records', `line ${i + 1}: ${record}`);
      records.push(record);
    }
    if (records.length !== parsed.count)
      throw new StepFailure('records', 'record count differs from the manifest');
    steps.push({ step: 'records', ok: true, detail: `${records.length} canonical record(s)` });

    if (parsed.firstSeq === 1) {
      const verdict = verifyAuditChain(records);
      if (!verdict.ok) throw new StepFailure('chain', `seq ${verdict.seq}: ${verdict.reason}`);
    } else {
      const failure = verifyChainSuffix(records, parsed.firstSeq);
      if (failure !== undefined) throw new StepFailure('chain', failure);
    }
    const last = records.at(-1);
    if (
      last !== undefined &&
      (last.seq !== parsed.lastSeq || !hexEqual(last.hash, parsed.headHash))
    ) {
      throw new StepFailure('chain', 'the last record is not the manifest head');
    }
    steps.push({
      step: 'chain',
      ok: true,
      detail: parsed.firstSeq === 1 ? 'linked from genesis' : `linked from seq ${parsed.firstSeq}`,
    });

    const jwks = input.trustedJwks ?? parsed.jwks;
    const who = await verifyAttestation(parsed, jwks);
    steps.push({
      step: 'attestation',
      ok: true,
      detail: `${who}${input.trustedJwks === undefined ? ' (key from the manifest; pass --trust to pin it)' : ''}`,
    });
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    steps.push({ step: error.step, ok: false, detail: error.detail });
    return { ok: false, failedStep: error.step, steps, ...summary(manifest) };
  }
  return { ok: true, steps, ...summary(manifest) };
}

function summary(m: AuditManifest | undefined) {
  return m === undefined
    ? {}
    : { tenant: m.tenant, count: m.count, headSeq: m.lastSeq, headHash: m.headHash };
}
