import { isSha256Hex } from '@stella/core';
import { signerError } from './errors.ts';
import { parseSubjectSource } from './subject-source.ts';
import type { SubjectSource } from './subject-source.ts';

/** One subject after schema validation; `source` is a verification input only (never signed). */
export interface SignSubject {
  readonly name: string;
  readonly sha256: string;
  readonly source: SubjectSource;
}

/** A validated `POST /api/v1/signer/sign/dsse` body. */
export interface SignRequest {
  readonly subjects: readonly SignSubject[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
  readonly attest: boolean;
}

export interface SignRequestLimits {
  readonly maxSubjects: number;
}

const TOP_KEYS = new Set(['subject', 'predicateType', 'predicate', 'attest']);
const SUBJECT_KEYS = new Set(['name', 'digest', 'content', 'source']);
// RFC 4648 §4 standard alphabet with padding; URL-safe input is refused here because artifact
// bytes are never URL-embedded and one accepted form keeps decoding unambiguous. A plain character
// class (linear, no backtracking) keeps multi-MiB values cheap; see isCanonicalBase64.
const BASE64_CHARS = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/**
 * Canonical RFC 4648 §4 base64: alphabet, length a multiple of 4, padding only at the end, and
 * zero trailing bits (§3.5) so that exactly one string encodes given bytes. Only the last quantum
 * can carry non-zero pad bits, so only it is re-encoded.
 */
function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0 || (text.length > 0 && !BASE64_CHARS.test(text))) return false;
  const last = text.slice(-4);
  return Buffer.from(last, 'base64').toString('base64') === last;
}
const CONTROL = /\p{Cc}/u;
const MAX_NAME = 1024;
const MAX_PREDICATE_TYPE = 2048;

function invalid(detail: string): never {
  throw signerError('invalid_request', { detail });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownKeys(value: Record<string, unknown>, allowed: Set<string>, where: string) {
  for (const key of Object.keys(value)) if (!allowed.has(key)) invalid(`unknown field ${where}`);
}

/** The predicate type must be an absolute URI (in-toto Statement v1 `predicateType`). */
function assertPredicateType(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PREDICATE_TYPE) {
    invalid('predicateType');
  }
  if (CONTROL.test(value) || /\s/.test(value)) invalid('predicateType');
  if (!URL.canParse(value) || !/^[a-z][a-z0-9+.-]*:/i.test(value)) invalid('predicateType');
  return value;
}

function parseSubject(value: unknown, index: number): SignSubject {
  if (!isPlainObject(value)) invalid(`subject[${index}]`);
  refuseUnknownKeys(value, SUBJECT_KEYS, `subject[${index}]`);
  const { name, digest, content, source } = value;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) {
    invalid(`subject[${index}].name`);
  }
  if (CONTROL.test(name)) invalid(`subject[${index}].name`);
  if (!isPlainObject(digest)) invalid(`subject[${index}].digest`);
  refuseUnknownKeys(digest, new Set(['sha256']), `subject[${index}].digest`);
  // in-toto ResourceDescriptor: lowercase hex only; uppercase or short hex is refused, never fixed.
  if (!isSha256Hex(digest.sha256)) invalid(`subject[${index}].digest.sha256`);
  if (content !== undefined && source !== undefined) invalid(`subject[${index}] content+source`);
  let parsed: SubjectSource = { kind: 'none' };
  if (content !== undefined) {
    if (typeof content !== 'string' || !isCanonicalBase64(content)) {
      invalid(`subject[${index}].content`);
    }
    parsed = { kind: 'inline', base64: content };
  } else if (source !== undefined) {
    const s = typeof source === 'string' ? parseSubjectSource(source) : undefined;
    if (s === undefined) invalid(`subject[${index}].source`);
    parsed = s;
  }
  return { name, sha256: digest.sha256, source: parsed };
}

/**
 * Validates an already strictly-parsed JSON value (attacker-controlled) against the sign request
 * schema. Unknown fields anywhere outside `predicate` are refused; `predicate` must be a JSON
 * object and is carried through untouched.
 */
export function validateSignRequest(value: unknown, limits: SignRequestLimits): SignRequest {
  if (!isPlainObject(value)) invalid('body is not an object');
  refuseUnknownKeys(value, TOP_KEYS, 'body');
  const { subject, predicateType, predicate, attest } = value;
  if (!Array.isArray(subject) || subject.length === 0 || subject.length > limits.maxSubjects) {
    invalid('subject');
  }
  const subjects = subject.map((s, i) => parseSubject(s, i));
  // Duplicate subjects (same name or same digest) are refused: a statement names each artifact once.
  const seen = new Set<string>();
  for (const s of subjects) {
    if (seen.has(`n:${s.name}`) || seen.has(`d:${s.sha256}`)) invalid('duplicate subject');
    seen.add(`n:${s.name}`).add(`d:${s.sha256}`);
  }
  if (!isPlainObject(predicate)) invalid('predicate is not a JSON object');
  if (attest !== undefined && typeof attest !== 'boolean') invalid('attest');
  return {
    subjects,
    predicateType: assertPredicateType(predicateType),
    predicate,
    attest: attest ?? true,
  };
}
