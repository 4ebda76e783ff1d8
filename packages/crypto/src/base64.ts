/**
 * Strict RFC 4648 base64 decoding for attacker-controlled text. Node's decoder skips invalid
 * characters and ignores non-zero trailing bits, so every decode here re-encodes and compares.
 */
import { cryptoError } from './errors.ts';
import type { CryptoErrorCode } from './errors.ts';

const STANDARD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** RFC 4648 §4 standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function canonical(text: string, bytes: Buffer, urlSafe: boolean): boolean {
  const again = bytes.toString(urlSafe ? 'base64url' : 'base64');
  return urlSafe ? again === text.replace(/=+$/, '') : again === text;
}

/** RFC 4648 §4 only: standard alphabet, mandatory canonical padding, no whitespace. */
export function decodeBase64Standard(text: string, code: CryptoErrorCode): Uint8Array {
  if (!STANDARD.test(text)) throw cryptoError(code, { detail: 'not standard base64' });
  const bytes = Buffer.from(text, 'base64');
  if (!canonical(text, bytes, false)) throw cryptoError(code, { detail: 'non-canonical base64' });
  return new Uint8Array(bytes);
}

/**
 * DSSE allows either alphabet (the spec's reference code tries standard, then URL-safe). One
 * alphabet per value: a string mixing `+`/`/` with `-`/`_` is refused. URL-safe may omit padding
 * (RFC 4648 §3.2) but, when present, padding must be exactly right.
 */
export function decodeBase64Either(text: string, code: CryptoErrorCode): Uint8Array {
  if (STANDARD.test(text)) return decodeBase64Standard(text, code);
  if (!URL_SAFE.test(text)) throw cryptoError(code, { detail: 'not base64' });
  const body = text.replace(/=+$/, '');
  const padding = text.length - body.length;
  if (body.length % 4 === 1 || (padding > 0 && (body.length + padding) % 4 !== 0)) {
    throw cryptoError(code, { detail: 'bad base64 length or padding' });
  }
  const bytes = Buffer.from(body, 'base64url');
  if (!canonical(text, bytes, true)) throw cryptoError(code, { detail: 'non-canonical base64' });
  return new Uint8Array(bytes);
}
