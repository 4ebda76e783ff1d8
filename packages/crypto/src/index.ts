export { cryptoErrorCodes, cryptoError } from './errors.ts';
export type { CryptoErrorCode } from './errors.ts';
export { assertPublicJwk, calculateJwkThumbprint, thumbprintInput } from './jwk-thumbprint.ts';
export type { PublicJwk, EcPublicJwk, OkpPublicJwk, RsaPublicJwk } from './jwk-thumbprint.ts';
export {
  algorithmOf,
  importPrivateKey,
  importPublicKey,
  importPublicJwk,
  generateSigningKey,
  exportPublicJwk,
  keyFingerprint,
} from './keys.ts';
export type { SigningAlgorithm, SigningKey, VerificationKey } from './keys.ts';
export { createSigningKey, createVerificationKey, verifySignature } from './signing-key.ts';
export type { SigningKeyOptions } from './signing-key.ts';
export { encodeBase64, decodeBase64Standard, decodeBase64Either } from './base64.ts';
export { pae, signEnvelope, parseEnvelope, verifyEnvelope } from './dsse.ts';
export type {
  DsseEnvelope,
  DsseSignature,
  ParsedDsseEnvelope,
  VerifiedDsseEnvelope,
  DsseLimits,
} from './dsse.ts';
export {
  IN_TOTO_STATEMENT_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  buildStatement,
  parseStatement,
  statementBytes,
} from './in-toto.ts';
export type { InTotoStatement, InTotoSubject } from './in-toto.ts';
export { rfc6962Hasher, leafHash, nodeHash } from './rfc9162.ts';
export type { Hasher } from './rfc9162.ts';
export { rangeNodes, largestPowerOfTwoBelow } from './merkle/node-id.ts';
export type { NodeId } from './merkle/node-id.ts';
export { inclusionProofNodes, consistencyProofNodes, assembleProof } from './merkle/proof-nodes.ts';
export type { ProofNodes } from './merkle/proof-nodes.ts';
export { treeRootNodes, rootFromStoredHashes, createCompactRange } from './merkle/compact-range.ts';
export type { CompactRange, NodeVisitor } from './merkle/compact-range.ts';
export { rootFromInclusionProof, verifyInclusion, verifyConsistency } from './merkle/verify.ts';
export {
  isValidNoteName,
  noteKeyHash,
  createNoteSigner,
  createNoteVerifier,
  encodeVerifierKey,
  encodeSignerKey,
  parseVerifierKey,
  parseSignerKey,
} from './note-keys.ts';
export type { NoteSigner, NoteVerifier } from './note-keys.ts';
export { signNote, parseNote, verifyNote } from './signed-note.ts';
export type { NoteSignature, VerifiedNote, NoteLimits } from './signed-note.ts';
export { formatCheckpoint, parseCheckpoint, openCheckpoint } from './checkpoint.ts';
export type { Checkpoint } from './checkpoint.ts';
