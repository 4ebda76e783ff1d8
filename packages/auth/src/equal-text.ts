/**
 * Constant-time equality for fixed-length public-length values on the request hot path (DPoP
 * `ath`, `cnf.jkt`, nonces: all 43-character base64url SHA-256 / HMAC-SHA256 outputs). The
 * length of such a value is public (RFC 7638 §3, RFC 9449 §4.2), so a length mismatch returns
 * early; equal-length inputs are compared with `timingSafeEqual` without the extra hashing that
 * `@stella/core`'s general `constantTimeEqual` does to hide lengths.
 */
import { timingSafeEqual } from 'node:crypto';

export function equalFixedLengthText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
