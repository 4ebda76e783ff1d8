/**
 * Stateless, replica-safe DPoP nonces (RFC 9449 §8, §9; PLATFORM.md §3):
 * `nonce = b64url(HMAC-SHA256(secret, window))`, `window = floor(now / windowSeconds)` as an
 * 8-byte big-endian integer. The current and previous windows are accepted, so a nonce lives
 * between one and two windows. Every replica with the same secret issues and accepts the same.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@stella/core';

export interface NonceIssuer {
  current(): string;
  isValid(nonce: string): boolean;
}

export interface NonceIssuerOptions {
  /** HMAC key, ≥ 32 bytes, from the secrets provider; shared by all replicas. */
  readonly secret: Uint8Array;
  readonly clock: Clock;
  /** Window length in seconds (default 60). */
  readonly windowSeconds?: number;
}

const NONCE = /^[A-Za-z0-9_-]{43}$/;

export function createNonceIssuer(options: NonceIssuerOptions): NonceIssuer {
  if (!(options.secret instanceof Uint8Array) || options.secret.length < 32) {
    throw new TypeError('nonce secret must be at least 32 bytes');
  }
  const secret = Buffer.from(options.secret);
  const windowMs = (options.windowSeconds ?? 60) * 1000;
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new TypeError('invalid windowSeconds');

  const computeNonce = (window: number): Buffer => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(window));
    // Compared as canonical base64url text, so non-canonical encodings of the MAC never match.
    return Buffer.from(createHmac('sha256', secret).update(counter).digest('base64url'));
  };
  // The nonce of a window never changes: remember the last two computed (hot path: every DPoP
  // request on a nonce route checks both windows; the HMACs run once per window, not per call).
  const memo = new Map<number, { readonly bytes: Buffer; readonly text: string }>();
  const memoFor = (window: number) => {
    let nonce = memo.get(window);
    if (nonce === undefined) {
      const bytes = computeNonce(window);
      nonce = { bytes, text: bytes.toString('ascii') };
      memo.set(window, nonce);
      if (memo.size > 2) memo.delete(memo.keys().next().value as number);
    }
    return nonce;
  };
  const nonceFor = (window: number): Buffer => memoFor(window).bytes;
  const windowNow = () => Math.floor(options.clock.now() / windowMs);

  return {
    // Every nonce-route response carries the current nonce: the text is memoised with the MAC.
    current: () => memoFor(windowNow()).text,
    isValid(nonce) {
      // Every nonce is 43 base64url characters (a public length), so equal-length buffers are
      // compared directly in constant time.
      if (typeof nonce !== 'string' || !NONCE.test(nonce)) return false;
      const presented = Buffer.from(nonce, 'ascii');
      const window = windowNow();
      // Both comparisons always run: timing does not reveal which window matched.
      const current = timingSafeEqual(presented, nonceFor(window));
      const previous = timingSafeEqual(presented, nonceFor(window - 1));
      return current || previous;
    },
  };
}
