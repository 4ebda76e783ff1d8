import { isWellFormedUtf16 } from './canonical-json.ts';
import { coreError } from './errors.ts';

/**
 * Strict JSON parser for ATTACKER-CONTROLLED input (RFC 8259 grammar plus the I-JSON rules of
 * RFC 7493). `JSON.parse` is too lenient for a security boundary: it keeps the last of duplicate
 * keys (two verifiers can then disagree on a value), accepts lone surrogates, turns `1e400` into
 * Infinity and has no depth limit. This parser refuses all of those with `invalid_json`.
 *
 * Result shape: ordinary objects (`Object.prototype`) and arrays, so callers can compare them with
 * object literals. Every member is created with `Object.defineProperty`, so a `"__proto__"` key
 * becomes an own data property and never changes the prototype (no prototype pollution). Read
 * members with `Object.hasOwn` rather than `in`.
 *
 * The error `detail` (server logs only) names the rule and the UTF-16 offset, never input text.
 */
export interface ParseJsonStrictOptions {
  /** Maximum nesting of arrays/objects; the top-level value is depth 1. Default 64. */
  readonly maxDepth?: number;
  /** Maximum UTF-8 size of `text` in bytes; unlimited when omitted. */
  readonly maxBytes?: number;
}

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function parseJsonStrict(text: string, options: ParseJsonStrictOptions = {}): JsonValue {
  if (typeof text !== 'string') throw coreError('invalid_json', { detail: 'not a string' });
  const maxDepth = options.maxDepth ?? 64;
  if (options.maxBytes !== undefined && Buffer.byteLength(text, 'utf8') > options.maxBytes) {
    throw coreError('invalid_json', { detail: 'input exceeds maxBytes' });
  }
  const parser = new StrictParser(text, maxDepth);
  return parser.parseDocument();
}

// eslint-disable-next-line no-control-regex -- RFC 8259 §7 names exactly these code units.
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
const SURROGATE = /[\ud800-\udfff]/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function indexOrEnd(text: string, search: string, from: number): number {
  const index = text.indexOf(search, from);
  return index === -1 ? text.length : index;
}

class StrictParser {
  private pos = 0;
  /** Cached positions of the next `"` / `\\` at or after some earlier offset (text.length: none). */
  private nextQuote = -1;
  private nextBackslash = -1;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    // RFC 8259 §8.1: a BOM is not allowed in networked JSON text; refuse rather than skip it.
    if (this.text.charCodeAt(0) === 0xfeff) this.fail('bom');
    this.skipWhitespace();
    const value = this.parseValue(1);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('trailing_data');
    return value;
  }

  private fail(reason: string): never {
    throw coreError('invalid_json', { detail: `${reason} at offset ${this.pos}` });
  }

  private skipWhitespace(): void {
    // RFC 8259 §2: only space, tab, LF and CR are insignificant whitespace.
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos += 1;
      else return;
    }
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.parseObject(depth);
      case 0x5b: // [
        return this.parseArray(depth);
      case 0x22: // "
        return this.parseString();
      case 0x74: // t
        return this.parseLiteral('true', true);
      case 0x66: // f
        return this.parseLiteral('false', false);
      case 0x6e: // n
        return this.parseLiteral('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        return this.fail(Number.isNaN(c) ? 'unexpected_end' : 'unexpected_character');
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid_literal');
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('invalid_number');
    const value = Number(match[0]);
    // RFC 7493 §2.2: magnitudes beyond IEEE 754 binary64 are refused (1e400 would be Infinity).
    // Underflow (1e-400 → 0) is accepted: it loses precision, as many decimals do, but not range.
    if (!Number.isFinite(value)) this.fail('number_out_of_range');
    this.pos += match[0].length;
    return value;
  }

  private parseString(): string {
    const text = this.text;
    const start = this.pos;
    let chunkStart = start + 1; // after the opening quote
    let result = '';
    // Jump between quotes and backslashes with native indexOf instead of testing every code unit
    // in JS (long base64 strings dominate signer bodies). The next-quote/next-backslash positions
    // are cached on the parser and only searched again once passed, so the total scanning stays
    // linear in the input whatever the mix of strings and escapes.
    for (;;) {
      if (this.nextQuote < chunkStart) this.nextQuote = indexOrEnd(text, '"', chunkStart);
      if (this.nextBackslash < chunkStart) {
        this.nextBackslash = indexOrEnd(text, '\\', chunkStart);
      }
      const end = Math.min(this.nextQuote, this.nextBackslash);
      const chunk = text.slice(chunkStart, end);
      // RFC 8259 §7: control characters (U+0000–U+001F) must be escaped.
      const control = CONTROL_CHARACTER.exec(chunk);
      if (control !== null) {
        this.pos = chunkStart + control.index;
        this.fail('control_character');
      }
      result += chunk;
      if (end === text.length) {
        this.pos = end;
        this.fail('unterminated_string');
      }
      this.pos = end;
      if (end === this.nextQuote) {
        this.pos += 1; // past the closing quote
        break;
      }
      result += this.parseEscape();
      chunkStart = this.pos;
    }
    // RFC 7493 §2.1: strings (escaped or raw) must be valid Unicode — no lone surrogates. The
    // native regex test skips the pairing walk for the common surrogate-free string.
    if (SURROGATE.test(result) && !isWellFormedUtf16(result)) {
      this.pos = start;
      this.fail('lone_surrogate');
    }
    return result;
  }

  private parseEscape(): string {
    const c = this.text[this.pos + 1];
    this.pos += 2;
    switch (c) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid_unicode_escape');
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        this.pos -= 2;
        return this.fail('invalid_escape');
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail('max_depth_exceeded');
    this.pos += 1;
    this.skipWhitespace();
  }

  private parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    const out: JsonValue[] = [];
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos += 1;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail('expected_comma_or_bracket');
      this.skipWhitespace();
    }
  }

  private parseObject(depth: number): { [key: string]: JsonValue } {
    this.enter(depth);
    const out: { [key: string]: JsonValue } = {};
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos += 1;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('expected_key');
      const keyStart = this.pos;
      const key = this.parseString();
      // RFC 7493 §2.3: member names must be unique. Object.hasOwn also sees "__proto__".
      if (Object.hasOwn(out, key)) {
        this.pos = keyStart;
        this.fail('duplicate_key');
      }
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('expected_colon');
      this.pos += 1;
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail('expected_comma_or_brace');
      this.skipWhitespace();
    }
  }
}
