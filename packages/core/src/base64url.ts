import { coreError } from './errors.ts';

/** RFC 4648 §5 base64url without padding. */
export function encodeBase64url(bytes: Uint8Array | string): string {
  return Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString(
    'base64url',
  );
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict decode of attacker-controlled base64url: only the URL-safe alphabet, no padding, no
 * whitespace, and a length that is a valid base64 length (len % 4 !== 1). Node's decoder silently
 * skips invalid characters, so it is never trusted alone.
 */
export function decodeBase64url(text: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) {
    throw coreError('invalid_encoding');
  }
  const bytes = Buffer.from(text, 'base64url');
  // Reject non-canonical trailing bits: re-encoding must give back the input.
  if (bytes.toString('base64url') !== text) throw coreError('invalid_encoding');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
