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
  SqlStatement,
  Migration,
  SqlDatabase,
  PutResult,
  ObjectStore,
  Logger,
  AuditOutcome,
  AuditEvent,
  AuditSink,
} from './ports.ts';
export { canonicalize, canonicalizeToString, isWellFormedUtf16 } from './canonical-json.ts';
export { parseJsonStrict } from './json-strict.ts';
export type { ParseJsonStrictOptions, JsonValue } from './json-strict.ts';
export {
  AUDIT_GENESIS,
  auditChainHash,
  auditChainHashOfCanonical,
  verifyAuditChain,
} from './audit-chain.ts';
export type { AuditChainRecord, AuditChainFailure, AuditChainVerdict } from './audit-chain.ts';
export { s, validateSchema, formatPath, formatSchemaIssue, SECRET_REF_PATTERN } from './schema.ts';
export type {
  AnySchema,
  ArrayOptions,
  ArraySchema,
  BooleanSchema,
  Infer,
  NumberOptions,
  NumberSchema,
  ObjectOutput,
  ObjectSchema,
  OptionalSchema,
  PathSegment,
  RecordSchema,
  Schema,
  SchemaIssue,
  SchemaKind,
  SchemaResult,
  SecretRefSchema,
  SecretRefText,
  Shape,
  StringOptions,
  StringSchema,
} from './schema.ts';
export { deepFreeze } from './deep-freeze.ts';
export type { DeepReadonly } from './deep-freeze.ts';
export {
  isValidCorrelationId,
  parseTraceparent,
  formatTraceparent,
  createTraceparent,
} from './correlation.ts';
export type { Traceparent } from './correlation.ts';
