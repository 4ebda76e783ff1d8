import { inspect } from 'node:util';
import { sha256Digest } from '@stella/core';
import type { Sha256Digest } from '@stella/core';

const REDACTED = '[redacted]';

/**
 * A resolved secret. The bytes are held in a private field; every way a value is usually turned
 * into text (string conversion, JSON, `util.inspect`, pino serialization) yields `[redacted]`.
 * Use `reveal()` / `revealText()` only at the point of use, and `digest` (SHA-256) when a log
 * line or audit event needs to say which secret was used.
 */
export class Secret {
  readonly #bytes: Uint8Array;
  /** The reference the secret was resolved from (not secret: a path or a name). */
  readonly ref: string;
  readonly digest: Sha256Digest;

  constructor(bytes: Uint8Array, ref: string) {
    this.#bytes = Uint8Array.from(bytes);
    this.ref = ref;
    this.digest = sha256Digest(this.#bytes);
  }

  /** A copy of the bytes, so callers cannot change the held value. */
  reveal(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /** The bytes as UTF-8 text, exactly as stored (no trimming). */
  revealText(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.#bytes);
  }

  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}
