import { coreError } from './errors.ts';

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Everything the platform hashes or signs (audit
 * chain links, DSSE payloads, tlog leaf data) goes through here, so the accepted input is narrow:
 * JSON values built from plain objects (prototype `Object.prototype` or `null`), arrays, strings,
 * finite numbers, booleans and `null`. Anything else is refused with `invalid_json` rather than
 * silently coerced the way `JSON.stringify` would (`undefined` dropped, `toJSON` called, `NaN`
 * turned into `null`), because a silent coercion changes the bytes a signature covers.
 */

/** Refuse absurd nesting instead of overflowing the stack (a RangeError is not a StellaError). */
const MAX_DEPTH = 1000;

export function canonicalize(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalizeToString(value));
}

export function canonicalizeToString(value: unknown): string {
  const parts: string[] = [];
  serialize(value, parts, new Set<object>(), 0);
  return parts.join('');
}

function fail(detail: string): never {
  throw coreError('invalid_json', { detail: `canonicalize: ${detail}` });
}

function serialize(value: unknown, out: string[], stack: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
      out.push(serializeString(value));
      return;
    case 'number':
      out.push(serializeNumber(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      if (value === null) {
        out.push('null');
        return;
      }
      if (depth >= MAX_DEPTH) fail('nesting too deep');
      if (stack.has(value)) fail('cycle');
      stack.add(value);
      if (Array.isArray(value)) serializeArray(value, out, stack, depth);
      else serializeObject(value, out, stack, depth);
      stack.delete(value);
      return;
    default:
      // undefined, bigint, symbol, function: no JSON representation (RFC 8785 §3.2.2).
      fail(`unsupported type ${typeof value}`);
  }
}

function serializeArray(value: unknown[], out: string[], stack: Set<object>, depth: number): void {
  if (Object.getPrototypeOf(value) !== Array.prototype) fail('non-plain array');
  out.push('[');
  for (let i = 0; i < value.length; i += 1) {
    if (i > 0) out.push(',');
    // A hole reads as undefined and is refused like an explicit undefined.
    serialize(value[i], out, stack, depth + 1);
  }
  out.push(']');
}

function serializeObject(value: object, out: string[], stack: Set<object>, depth: number): void {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail('non-plain object');
  if (Object.getOwnPropertySymbols(value).length > 0) fail('symbol key');
  // RFC 8785 §3.2.3: sort by the UTF-16 code units of the raw (unescaped) key. The default
  // Array.prototype.sort comparison is exactly a UTF-16 code-unit comparison.
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  out.push('{');
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    if (i > 0) out.push(',');
    out.push(serializeString(key), ':');
    serialize(record[key], out, stack, depth + 1);
  }
  out.push('}');
}

/**
 * RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which `JSON.stringify` implements
 * (and which maps -0 to "0"). NaN and ±Infinity have no JSON form and are refused.
 */
function serializeNumber(value: number): string {
  if (!Number.isFinite(value)) fail('non-finite number');
  return JSON.stringify(value);
}

/**
 * RFC 8785 §3.2.2.2: JSON.stringify's escaping (ES2019 well-formed stringify) is the JCS escaping;
 * lone surrogates are refused first because JCS input must be valid Unicode (I-JSON, RFC 7493 §2.1).
 */
function serializeString(value: string): string {
  if (!isWellFormedUtf16(value)) fail('lone surrogate');
  return JSON.stringify(value);
}

/** True when every surrogate code unit is part of a high+low pair. */
export function isWellFormedUtf16(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit >= 0xdc00) return false;
    const next = value.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i += 1;
  }
  return true;
}
