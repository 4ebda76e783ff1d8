// Signed material for tests: a signer key, a log key, and DSSE envelopes over in-toto statements.
import { generateKeyPairSync } from 'node:crypto';
import { canonicalize, sha256Hex } from '@stella/core';
import {
  IN_TOTO_PAYLOAD_TYPE,
  buildStatement,
  createSigningKey,
  signEnvelope,
  statementBytes,
} from '@stella/crypto';
import type { DsseEnvelope, SigningKey } from '@stella/crypto';
import type { PreparedEntry } from '../../src/tlog/sequencer.ts';
import { createLogSigner } from '../../src/tlog/log-signer.ts';

export const signerKey: SigningKey = createSigningKey(generateKeyPairSync('ed25519').privateKey);
export const logKey = generateKeyPairSync('ed25519').privateKey;
export const logSigner = createLogSigner({ logPrefix: 'stella.test/log', privateKey: logKey });
export const PREDICATE = 'https://slsa.dev/provenance/v1';

export async function envelopeFor(
  artifacts: readonly Uint8Array[],
  predicate: Record<string, unknown> = {},
  key: SigningKey = signerKey,
): Promise<DsseEnvelope> {
  const statement = buildStatement({
    subject: artifacts.map((a, i) => ({ name: `artifact-${i}`, digest: { sha256: sha256Hex(a) } })),
    predicateType: PREDICATE,
    predicate,
  });
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement), [key]);
}

/** What the submission path prepares from an envelope (tests of the sequencer alone). */
export function prepared(envelope: DsseEnvelope, artifacts: readonly Uint8Array[]): PreparedEntry {
  const bytes = canonicalize(envelope);
  return {
    envelopeSha256: sha256Hex(bytes),
    envelope: bytes,
    payloadSha256: sha256Hex(Buffer.from(envelope.payload, 'base64')),
    predicateType: PREDICATE,
    subjects: artifacts.map((a, i) => ({
      name: `artifact-${i}`,
      digest: `sha256:${sha256Hex(a)}` as const,
    })),
  };
}
