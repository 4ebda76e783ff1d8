export { signerDefaults } from './defaults.ts';
export { signerErrorCodes, signerError } from './errors.ts';
export type { SignerErrorCode } from './errors.ts';
export { signerMigrations } from './migrations.ts';
export { createSignerService } from './service.ts';
export type { SignerService, SignerServiceOptions, SignerHttpsOptions } from './service.ts';
export { signRouteAuth } from './sign-route.ts';
export { validateSignRequest } from './sign-request.ts';
export type { SignRequest, SignSubject, SignRequestLimits } from './sign-request.ts';
export { parseSubjectSource, formatSubjectSource } from './subject-source.ts';
export type { SubjectSource } from './subject-source.ts';
export { buildStatementPayload } from './build-statement.ts';
export { verifyArtifacts } from './verify-artifacts.ts';
export type { ArtifactLimits, ArtifactVerifierDeps, VerifiedSubject } from './verify-artifacts.ts';
export type { ArtifactFetchResult, EvidenceReader, OciManifestFetcher } from './artifact-fetch.ts';
export { createHttpEvidenceReader } from './evidence-reader.ts';
export type { HttpEvidenceReaderOptions } from './evidence-reader.ts';
export { createOciManifestFetcher, MANIFEST_MEDIA_TYPES } from './oci-registry.ts';
export type { OciManifestFetcherOptions, RegistryAllowEntry } from './oci-registry.ts';
export { parseWwwAuthenticate } from './www-authenticate.ts';
export type { AuthChallenge } from './www-authenticate.ts';
export { hashStream } from './stream-hash.ts';
export type { StreamHashResult } from './stream-hash.ts';
export { createAuthorityTokenSource } from './token-source.ts';
export type { TokenSource, TokenRequest, AuthorityTokenSourceOptions } from './token-source.ts';
export { createHttpAttestorClient } from './attestor-client.ts';
export type {
  AttestorClient,
  AttestorReceipt,
  HttpAttestorClientOptions,
} from './attestor-client.ts';
export { acquireQuota, limitsFor } from './quota.ts';
export type { QuotaLimits, QuotaPolicy, QuotaLease } from './quota.ts';
export { isKeyValidAt, selectSigningKey, publishSignerKeys, staticKeySource } from './key-ring.ts';
export type { SignerKeyEntry, SignerKeySource, PublishedSignerKey } from './key-ring.ts';
export { parseKeyState, formatKeyState, rotateKeyState, revokeKeyState } from './key-state.ts';
export type { KeyState, KeyStateEntry, RotationInput } from './key-state.ts';
export { createKeyStateSource, loadKeyEntries } from './key-state-source.ts';
export { KeyStateLockedError, readKeyStateFile, updateKeyStateFile } from './key-state-file.ts';
export type { KeyStateSourceOptions } from './key-state-source.ts';
export { composeSigner } from './compose.ts';
export type { SignerPlatformDeps } from './compose.ts';
export { signerConfigSchema, assertSignerConfig } from './config-schema.ts';
export type { SignerConfig } from './config-schema.ts';
