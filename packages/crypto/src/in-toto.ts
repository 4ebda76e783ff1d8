/**
 * in-toto Attestation Framework Statement v1 (in-toto/attestation spec/v1/statement.md):
 * builder, strict validator for attacker-controlled statements, and the signed bytes.
 */
import { canonicalize, isSha256Hex } from '@stella/core';
import { cryptoError } from './errors.ts';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** DSSE payloadType for in-toto statements (in-toto/attestation spec/v1/envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface InTotoSubject {
  readonly name: string;
  /** `sha256` is required (64 lowercase hex); other algorithms are carried through unchanged. */
  readonly digest: { readonly sha256: string } & Readonly<Record<string, string>>;
}

export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly InTotoSubject[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
  /** Unknown top-level fields are preserved (and therefore signed). */
  readonly [field: string]: unknown;
}

const MAX_SUBJECTS = 1024;
const MAX_STRING = 2048;
const DIGEST_ALG = /^[A-Za-z0-9_-]{1,64}$/;
// RFC 3986 §3.1 scheme, then no whitespace or control characters.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\p{Cc}]+$/u;
const CONTROL = /\p{Cc}/u;

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value))
  );
}

function fail(detail: string): never {
  throw cryptoError('invalid_statement', { detail });
}

function validateSubject(value: unknown, index: number): InTotoSubject {
  if (!isRecord(value)) fail(`subject[${index}] is not an object`);
  for (const key of Object.keys(value)) {
    // Only name + digest: other ResourceDescriptor fields (content, uri…) are refused, so inline
    // artifact content can never slip into a signed statement.
    if (key !== 'name' && key !== 'digest') fail(`subject[${index}] has field ${key}`);
  }
  const { name, digest } = value;
  if (typeof name !== 'string' || name.length > MAX_STRING || CONTROL.test(name)) {
    fail(`subject[${index}].name`);
  }
  if (!isRecord(digest)) fail(`subject[${index}].digest`);
  const entries = Object.entries(digest);
  if (entries.length > 16) fail(`subject[${index}].digest has too many algorithms`);
  for (const [alg, hex] of entries) {
    if (!DIGEST_ALG.test(alg) || typeof hex !== 'string' || hex.length === 0) {
      fail(`subject[${index}].digest.${alg}`);
    }
    if (hex.length > MAX_STRING || CONTROL.test(hex)) fail(`subject[${index}].digest.${alg}`);
  }
  if (!isSha256Hex(digest['sha256'])) fail(`subject[${index}].digest.sha256`);
  return { name, digest: { ...(digest as Record<string, string>), sha256: digest['sha256'] } };
}

/**
 * Validates a (JSON-decoded, attacker-controlled) statement. Returns a copy; unknown top-level
 * fields are preserved. Duplicate sha256 subject digests refuse with `duplicate_subject`.
 */
export function parseStatement(value: unknown): InTotoStatement {
  if (!isRecord(value)) fail('not an object');
  const { _type, subject, predicateType, predicate } = value;
  if (_type !== IN_TOTO_STATEMENT_TYPE) fail('_type');
  if (!Array.isArray(subject) || subject.length === 0 || subject.length > MAX_SUBJECTS) {
    fail('subject must be a non-empty array');
  }
  if (
    typeof predicateType !== 'string' ||
    predicateType.length > MAX_STRING ||
    !ABSOLUTE_URI.test(predicateType) ||
    !URL.canParse(predicateType)
  ) {
    fail('predicateType must be an absolute URI');
  }
  if (!isRecord(predicate)) fail('predicate must be a JSON object');
  const subjects = subject.map(validateSubject);
  const seen = new Set<string>();
  for (const s of subjects) {
    if (seen.has(s.digest.sha256)) {
      throw cryptoError('duplicate_subject', { detail: `sha256:${s.digest.sha256}` });
    }
    seen.add(s.digest.sha256);
  }
  return { ...value, _type, subject: subjects, predicateType, predicate };
}

/**
 * Builds and validates a statement. Subjects are sorted by sha256 digest (then name) because
 * their order carries no meaning and the same input must give byte-identical signed bytes.
 */
export function buildStatement(input: {
  readonly subject: readonly InTotoSubject[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}): InTotoStatement {
  const subject = [...input.subject].sort((a, b) =>
    a.digest.sha256 === b.digest.sha256
      ? a.name < b.name
        ? -1
        : 1
      : a.digest.sha256 < b.digest.sha256
        ? -1
        : 1,
  );
  return parseStatement({
    _type: IN_TOTO_STATEMENT_TYPE,
    subject,
    predicateType: input.predicateType,
    predicate: input.predicate,
  });
}

/** The DSSE payload for a statement: its RFC 8785 canonical JSON bytes (re-validated first). */
export function statementBytes(statement: InTotoStatement): Uint8Array {
  return canonicalize(parseStatement(statement));
}
