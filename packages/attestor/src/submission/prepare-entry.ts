/**
 * The submission checks (issue 6 "Before logging"), in order, each with its own stable code:
 * body is JSON `{"envelope": <DSSE>}` → DSSE well-formed → signature verifies with a signer key
 * valid at signing time (now: the entry's integratedTime is taken in the same batch) → payload is
 * an in-toto v1 statement → every subject that exists in the tenant's evidence store re-hashes to
 * its digest (`digest_mismatch`). Only then is the entry handed to the sequencer.
 */
import {
  canonicalize,
  epochSeconds,
  isStellaError,
  parseJsonStrict,
  sha256Hex,
} from '@stella/core';
import type { Clock } from '@stella/core';
import {
  IN_TOTO_PAYLOAD_TYPE,
  createVerificationKey,
  importPublicJwk,
  parseEnvelope,
  parseStatement,
  verifyEnvelope,
} from '@stella/crypto';
import type { VerificationKey } from '@stella/crypto';
import { attestorError } from '../errors.ts';
import type { PreparedEntry } from '../tlog/sequencer.ts';
import { isKeyValidAt } from '../trust-file.ts';
import type { TrustedSignerKey } from '../trust-file.ts';
import type { SignerKeySource } from './signer-keys.ts';

export interface PrepareEntryDeps {
  readonly keys: SignerKeySource;
  readonly clock: Clock;
  /** Stored bytes of `digest` in the tenant's evidence store, or undefined when not stored. */
  readonly evidenceBytes: (digest: string) => Promise<Uint8Array | undefined>;
  readonly maxEnvelopeBytes: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Maps crypto's codes onto the attestor's table (same names, attestor's statuses). */
function rethrow(error: unknown, fallback: 'invalid_envelope' | 'invalid_statement'): never {
  if (isStellaError(error)) {
    if (error.code === 'invalid_signature') throw attestorError('invalid_signature');
    if (error.code === 'unknown_key') throw attestorError('unknown_key');
    if (error.code === 'key_not_valid') throw error;
  }
  throw attestorError(fallback);
}

export async function prepareEntry(
  body: Uint8Array,
  deps: PrepareEntryDeps,
): Promise<PreparedEntry> {
  if (body.byteLength > deps.maxEnvelopeBytes) throw attestorError('payload_too_large');
  let request: unknown;
  try {
    request = parseJsonStrict(decoder.decode(body), { maxDepth: 32 });
  } catch {
    throw attestorError('invalid_request', { detail: 'body is not strict JSON' });
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw attestorError('invalid_request', { detail: 'body is not an object' });
  }
  const fields = Object.keys(request);
  if (fields.length !== 1 || fields[0] !== 'envelope') {
    throw attestorError('invalid_request', { detail: 'body must be {"envelope"}' });
  }
  const envelope = (request as { envelope: unknown }).envelope;
  let parsed;
  try {
    parsed = parseEnvelope(envelope, { maxPayloadBytes: deps.maxEnvelopeBytes });
  } catch (error) {
    rethrow(error, 'invalid_envelope');
  }
  // Resolve every keyid first (the lookup is async; DSSE verification is synchronous).
  const now = epochSeconds(deps.clock);
  const keys = new Map<string, TrustedSignerKey>();
  for (const { keyid } of parsed.signatures) {
    const key = await deps.keys.lookup(keyid);
    if (key !== undefined) keys.set(keyid, key);
  }
  if (keys.size === 0) throw attestorError('unknown_key');
  for (const key of keys.values()) {
    // A known key outside its validity window is refused outright, not skipped: its signature
    // would otherwise be judged by a verifier offline with the same window (verify-bundle.ts).
    if (!isKeyValidAt(key, now)) throw attestorError('key_not_valid', { detail: key.keyid });
  }
  const resolved = new Map<string, VerificationKey>();
  try {
    for (const [keyid, key] of keys) {
      resolved.set(keyid, createVerificationKey(importPublicJwk(key.publicKey), keyid));
    }
  } catch {
    throw attestorError('signer_keys_unavailable', { detail: 'published key unusable' });
  }
  try {
    verifyEnvelope(envelope, (keyid) => resolved.get(keyid), {
      maxPayloadBytes: deps.maxEnvelopeBytes,
    });
  } catch (error) {
    rethrow(error, 'invalid_envelope');
  }
  if (parsed.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw attestorError('invalid_statement', { detail: 'payloadType' });
  }
  let statement;
  try {
    statement = parseStatement(parseJsonStrict(decoder.decode(parsed.payload), { maxDepth: 64 }));
  } catch {
    throw attestorError('invalid_statement');
  }
  const subjects = statement.subject.map((s) => ({
    name: s.name,
    digest: `sha256:${s.digest.sha256}` as const,
  }));
  for (const subject of subjects) {
    const stored = await deps.evidenceBytes(subject.digest);
    if (stored !== undefined && `sha256:${sha256Hex(stored)}` !== subject.digest) {
      throw attestorError('digest_mismatch', { detail: subject.digest });
    }
  }
  const envelopeBytes = canonicalize(envelope);
  return {
    envelopeSha256: sha256Hex(envelopeBytes),
    envelope: envelopeBytes,
    payloadSha256: sha256Hex(parsed.payload),
    predicateType: statement.predicateType,
    subjects,
  };
}
