export { attestorDefaults } from './defaults.ts';
export type { AttestorOptions } from './defaults.ts';
export { attestorErrorCodes, attestorError } from './errors.ts';
export type { AttestorErrorCode } from './errors.ts';
export { attestorMigrations } from './migrations.ts';
export { createSequencer } from './tlog/sequencer.ts';
export type { PreparedEntry, Sequencer, SequencerOptions } from './tlog/sequencer.ts';
export { createLogSigner } from './tlog/log-signer.ts';
export type { LogSigner } from './tlog/log-signer.ts';
export { encodeLeafData, parseLeafData } from './tlog/leaf-data.ts';
export type { LeafData, LeafSubject } from './tlog/leaf-data.ts';
export { readRoot, readInclusionProof, readConsistencyProof } from './tlog/log-hashes.ts';
export type { NodeReader } from './tlog/log-hashes.ts';
export { createReceipt } from './receipt.ts';
export type { Receipt } from './receipt.ts';
export { parseTrustFile, buildTrustFile, isKeyValidAt } from './trust-file.ts';
export type { TrustFile, TrustedLog, TrustedSignerKey } from './trust-file.ts';
export { verifyBundle, VERIFY_STEPS } from './verify-bundle.ts';
export type {
  VerifyBundleInput,
  VerifyBundleResult,
  StepResult,
  VerifyStep,
} from './verify-bundle.ts';
export { createAttestorService } from './service.ts';
export type { AttestorService, AttestorServiceOptions, AttestorHttpsOptions } from './service.ts';
export { composeAttestor } from './compose.ts';
export type { AttestorConfig, AttestorPlatformDeps } from './compose.ts';
export {
  createHttpSignerKeySource,
  createStaticSignerKeySource,
  parseSignerKeySet,
} from './submission/signer-keys.ts';
export type { HttpSignerKeySourceOptions, SignerKeySource } from './submission/signer-keys.ts';
export { prepareEntry } from './submission/prepare-entry.ts';
export type { PrepareEntryDeps } from './submission/prepare-entry.ts';
export { createEvidenceStore } from './evidence/evidence-store.ts';
export type { EvidenceRecord, EvidenceStore } from './evidence/evidence-store.ts';
export { createLogReader } from './tlog/log-reader.ts';
export type { LogEntry, LogReader } from './tlog/log-reader.ts';
