import { randomBytes, randomFillSync } from 'node:crypto';
import type { Clock } from './clock.ts';

/**
 * Identifier generation, injectable like the clock. `uuidv7` (RFC 9562 §5.7) sorts by creation time,
 * which keeps B-tree inserts local and log listings naturally ordered.
 */
export interface IdGenerator {
  /** A new RFC 9562 UUIDv7 string. */
  uuid(): string;
  /** `bytes` random bytes (≥ 16 for anything that must be unguessable), base64url-encoded. */
  random(bytes?: number): string;
}

export function uuidv7(clock: Clock, rand: (n: number) => Uint8Array = randomBytes): string {
  const ms = BigInt(Math.max(0, Math.floor(clock.now())));
  const bytes = new Uint8Array(16);
  bytes.set(rand(10), 6);
  for (let i = 0; i < 6; i += 1) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // RFC 9562 variant
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * CSPRNG bytes drawn from a 4 KiB pool refilled by one `randomFillSync` call: a system call per
 * id showed up in the token hot path. Every byte is handed out at most once (the offset only
 * grows until the refill overwrites the whole pool), and copies are returned, never views.
 * Requests larger than the pool bypass it.
 */
export function createRandomPool(size = 4096): (n: number) => Uint8Array {
  if (!Number.isSafeInteger(size) || size < 16) throw new TypeError('pool size must be ≥ 16');
  const pool = Buffer.allocUnsafe(size);
  let offset = size;
  return (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('byte count must be ≥ 0');
    if (n > size) return randomBytes(n);
    if (offset + n > size) {
      randomFillSync(pool);
      offset = 0;
    }
    const out = new Uint8Array(pool.subarray(offset, offset + n));
    offset += n;
    return out;
  };
}

export function createIdGenerator(clock: Clock): IdGenerator {
  const rand = createRandomPool();
  return {
    uuid: () => uuidv7(clock, rand),
    random: (bytes = 16) => {
      const out = rand(bytes);
      return Buffer.from(out.buffer, out.byteOffset, out.length).toString('base64url');
    },
  };
}

/** Deterministic generator for tests: counter-based, never use in production. */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let n = 0;
  return {
    uuid: () => {
      n += 1;
      const hex = n.toString(16).padStart(12, '0');
      return `00000000-0000-7000-8000-${hex}`;
    },
    random: (bytes = 16) => {
      n += 1;
      return Buffer.from(`${prefix}-${n}`.padEnd(bytes, '.')).toString('base64url');
    },
  };
}
