import { createHash, timingSafeEqual } from 'node:crypto';
import { coreError } from './errors.ts';

/** A `sha256:<64 lowercase hex>` content digest (OCI / in-toto style). */
export type Sha256Digest = `sha256:${string}`;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256Digest(value: unknown): value is Sha256Digest {
  return typeof value === 'string' && DIGEST.test(value);
}

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** Parses attacker-controlled digest text; uppercase, short or other algorithms are refused. */
export function parseDigest(text: string): { algorithm: 'sha256'; hex: string } {
  if (!isSha256Digest(text)) throw coreError('invalid_digest');
  return { algorithm: 'sha256', hex: text.slice(7) };
}

export function formatDigest(hex: string): Sha256Digest {
  if (!isSha256Hex(hex)) throw coreError('invalid_digest');
  return `sha256:${hex}`;
}

export function sha256(bytes: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256Digest(bytes: Uint8Array | string): Sha256Digest {
  return `sha256:${sha256Hex(bytes)}`;
}

/** Constant-time equality of two digests (or any two strings); lengths may differ. */
export function digestsEqual(a: string, b: string): boolean {
  return constantTimeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Constant-time comparison that does not leak where inputs differ. Length differences are
 * folded in after a fixed-length comparison so timing does not reveal a prefix match.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
