/**
 * Offline verification of a bundle `{envelope, receipt}` against a trust file — pure: no network,
 * no wall clock (key validity is judged at the log's integratedTime). Steps run in order and stop
 * at the first failure, which is reported by name (what `stella verify` prints):
 *   artifact_digest → subject → signature → leaf_data → inclusion → checkpoint.
 */
import { canonicalize, isSha256Digest, isStellaError, sha256Hex } from '@stella/core';
import {
  IN_TOTO_PAYLOAD_TYPE,
  createVerificationKey,
  decodeBase64Standard,
  importPublicJwk,
  openCheckpoint,
  parseCheckpoint,
  parseEnvelope,
  parseNote,
  parseStatement,
  parseVerifierKey,
  rfc6962Hasher,
  verifyEnvelope,
  verifyInclusion,
} from '@stella/crypto';
import type { InTotoStatement } from '@stella/crypto';
import { parseLeafData, sortSubjects } from './tlog/leaf-data.ts';
import type { LeafData } from './tlog/leaf-data.ts';
import { isKeyValidAt } from './trust-file.ts';
import type { TrustFile } from './trust-file.ts';

export type VerifyStep =
  'artifact_digest' | 'subject' | 'signature' | 'leaf_data' | 'inclusion' | 'checkpoint';
export const VERIFY_STEPS: readonly VerifyStep[] = [
  'artifact_digest',
  'subject',
  'signature',
  'leaf_data',
  'inclusion',
  'checkpoint',
];

export interface StepResult {
  readonly step: VerifyStep;
  readonly ok: boolean;
  /** Stable code of the failure (e.g. `invalid_signature`, `root_mismatch`). */
  readonly code?: string;
}

export interface VerifyBundleResult {
  readonly ok: boolean;
  readonly steps: readonly StepResult[];
  readonly failedStep?: VerifyStep;
}

export interface VerifyBundleInput {
  readonly artifactBytes?: Uint8Array;
  readonly artifactDigest?: string;
  /** `{envelope, receipt}` as parsed JSON (attacker-controlled). */
  readonly bundle: unknown;
  readonly trust: TrustFile;
}

class StepFailure extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
const refuse = (code: string): never => {
  throw new StepFailure(code);
};
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function verifyBundle(input: VerifyBundleInput): VerifyBundleResult {
  const steps: StepResult[] = [];
  let digest = '';
  let statement: InTotoStatement | undefined;
  let payload: Uint8Array = new Uint8Array();
  let leaf: LeafData | undefined;
  let leafBytes: Uint8Array = new Uint8Array();
  const bundle = isRecord(input.bundle) ? input.bundle : {};
  const receipt = isRecord(bundle['receipt']) ? bundle['receipt'] : {};
  const run: Record<VerifyStep, () => void> = {
    artifact_digest() {
      if (input.artifactBytes !== undefined) digest = `sha256:${sha256Hex(input.artifactBytes)}`;
      else if (isSha256Digest(input.artifactDigest)) digest = input.artifactDigest;
      else refuse('invalid_digest');
    },
    subject() {
      const envelope = parseEnvelope(bundle['envelope']);
      if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) refuse('invalid_statement');
      payload = envelope.payload;
      statement = parseStatement(
        JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)),
      );
      if (!statement.subject.some((s) => `sha256:${s.digest.sha256}` === digest))
        refuse('subject_not_found');
    },
    signature() {
      // Validity is judged at integratedTime, so read it (unverified yet) from the leaf; the
      // leaf_data step then proves it is the logged value.
      leafBytes = decodeBase64Standard(String(receipt['leafData'] ?? ''), 'invalid_proof');
      const integratedTime = parseLeafData(leafBytes).integratedTime;
      verifyEnvelope(bundle['envelope'], (keyid) => {
        const key = input.trust.signerKeys.find((k) => k.keyid === keyid);
        if (key === undefined) return undefined;
        if (!isKeyValidAt(key, integratedTime)) refuse('key_not_valid');
        return createVerificationKey(importPublicJwk(key.publicKey), keyid);
      });
    },
    leaf_data() {
      leaf = parseLeafData(leafBytes);
      const envelopeSha256 = sha256Hex(canonicalize(bundle['envelope']));
      const subjects = sortSubjects(
        statement!.subject.map((s) => ({
          name: s.name,
          digest: `sha256:${s.digest.sha256}` as const,
        })),
      );
      if (
        leaf.envelopeSha256 !== envelopeSha256 ||
        receipt['envelopeDigest'] !== `sha256:${envelopeSha256}` ||
        leaf.payloadSha256 !== sha256Hex(payload) ||
        leaf.predicateType !== statement!.predicateType ||
        JSON.stringify(leaf.subjects) !== JSON.stringify(subjects)
      ) {
        refuse('leaf_mismatch');
      }
    },
    inclusion() {
      const proof = receipt['inclusionProof'];
      if (!isRecord(proof) || !Array.isArray(proof['hashes'])) refuse('invalid_proof');
      const p = proof as Record<string, unknown>;
      const checkpoint = parseCheckpoint(parseNote(String(receipt['checkpoint'] ?? '')).text);
      if (p['treeSize'] !== checkpoint.size) refuse('tree_size_mismatch');
      const hashes = (p['hashes'] as unknown[]).map((h) =>
        decodeBase64Standard(String(h), 'invalid_proof'),
      );
      verifyInclusion(
        rfc6962Hasher,
        receipt['index'] as number,
        checkpoint.size,
        rfc6962Hasher.hashLeaf(leafBytes),
        hashes,
        checkpoint.rootHash,
      );
    },
    checkpoint() {
      const note = String(receipt['checkpoint'] ?? '');
      const origin = parseCheckpoint(parseNote(note).text).origin;
      const log = input.trust.logs.find((l) => l.origin === origin);
      if (log === undefined) refuse('unknown_log');
      openCheckpoint(note, [parseVerifierKey(log!.vkey)], { expectedOrigin: log!.origin });
    },
  };
  for (const step of VERIFY_STEPS) {
    try {
      run[step]();
      steps.push({ step, ok: true });
    } catch (error) {
      const code =
        error instanceof StepFailure
          ? error.code
          : isStellaError(error)
            ? error.code
            : 'invalid_input';
      steps.push({ step, ok: false, code });
      return { ok: false, steps, failedStep: step };
    }
  }
  return { ok: true, steps };
}
