export {
  StellaError,
  coreErrorCodes,
  coreError,
  defineErrorCodes,
  isStellaError,
  toErrorBody,
} from './errors.ts';
export type { ErrorCodeSpec, ErrorCodeTable, StellaErrorOptions, CoreErrorCode } from './errors.ts';
export { systemClock, manualClock, epochSeconds } from './clock.ts';
export type { Clock, ManualClock } from './clock.ts';
export { uuidv7, createIdGenerator, sequentialIds } from './ids.ts';
export type { IdGenerator } from './ids.ts';
export { encodeBase64url, decodeBase64url } from './base64url.ts';
export {
  isSha256Digest,
  isSha256Hex,
  parseDigest,
  formatDigest,
  sha256,
  sha256Hex,
  sha256Digest,
  digestsEqual,
  constantTimeEqual,
} from './digest.ts';
export type { Sha256Digest } from './digest.ts';
export type {
  KeyValueStore,
  SqlResult,
  SqlQueryable,
  Migration,
  SqlDatabase,
  PutResult,
  ObjectStore,
  Logger,
  AuditOutcome,
  AuditEvent,
  AuditSink,
} from './ports.ts';
