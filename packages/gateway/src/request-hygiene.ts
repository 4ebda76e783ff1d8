/**
 * Request hygiene / WAF rules that need no route (PLATFORM.md §4). Every input here is
 * ATTACKER-CONTROLLED: the request-target and the raw header list exactly as Node's parser
 * delivered them. Each refusal is a `StellaError` with a stable code; nothing is repaired.
 */
import { gatewayError } from './errors.ts';

export interface HeaderLimits {
  readonly maxHeaderCount: number;
  readonly maxHeaderValueBytes: number;
}

export interface RequestTarget {
  /** The path exactly as sent (already proven free of dot segments and encoded separators). */
  readonly path: string;
  /** The query including its leading `?`, or `''`. */
  readonly query: string;
}

const PCT = /%([0-9A-Fa-f]{2})/g;
// RFC 3986 §3.3 pchar plus "/" — anything else (raw space, `\`, `"`, `<`, `#`, controls, 8-bit)
// is not a valid path character and is refused rather than guessed at.
const PATH_CHARS = /^[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/;
const QUERY_CHARS = /^[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*$/;
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 §5.6.2 field-name
const CONTENT_LENGTH = /^[0-9]{1,15}$/;

function traversal(detail: string): never {
  throw gatewayError('path_traversal', { detail });
}

/**
 * Splits and vets the request-target (RFC 9112 §3.2 origin-form only). Refuses dot segments,
 * `//`, any percent-encoded `/` `\` `.` NUL or `%` (double encoding), any percent-encoded
 * unreserved character (not normalized, RFC 3986 §6.2.2.2) and NUL anywhere, so that the path
 * the gateway matched is the path every upstream will route on.
 */
export function checkRequestTarget(target: string): RequestTarget {
  if (target.includes('\0') || target.includes('%00')) traversal('nul');
  if (!target.startsWith('/')) throw gatewayError('bad_request', { detail: 'not-origin-form' });
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (path.includes('\\')) traversal('backslash');
  if (!PATH_CHARS.test(path)) traversal('path-chars');
  if (!QUERY_CHARS.test(query)) throw gatewayError('bad_request', { detail: 'query-chars' });
  // The percent and dot-segment scans only matter when the text holds a `%` or a `.`: most API
  // paths hold neither, and skipping the scans then cannot change a verdict.
  if (target.includes('%')) {
    if (/%(?![0-9A-Fa-f]{2})/.test(target)) throw gatewayError('bad_request', { detail: 'pct' });
    for (const [, hex] of path.matchAll(PCT)) {
      const char = String.fromCharCode(parseInt(hex as string, 16));
      if (char === '/' || char === '\\' || char === '%' || char === '.')
        traversal('encoded-separator');
      if (UNRESERVED.test(char)) traversal('encoded-unreserved');
    }
  }
  if (path.includes('//')) traversal('empty-segment');
  if (path.includes('.')) {
    for (const segment of path.split('/')) {
      if (segment === '.' || segment === '..') traversal('dot-segment');
    }
  }
  return { path, query };
}

/**
 * Header rules on `rawHeaders` (name, value, name, value…): count and size caps (431), field
 * names and values per RFC 9110 §5.5 (no CR/LF/NUL/controls, which also rules out obs-fold,
 * RFC 9112 §5.2), and unambiguous framing (RFC 9112 §6.3: CL with TE, several CL, or a TE other
 * than a single `chunked` is a smuggling attempt, 400).
 */
export function checkHeaders(rawHeaders: readonly string[], limits: HeaderLimits): void {
  if (rawHeaders.length / 2 > limits.maxHeaderCount) {
    throw gatewayError('headers_too_large', { detail: 'count' });
  }
  let contentLengths = 0;
  let transferEncodings = 0;
  let hosts = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    if (!TOKEN.test(name)) throw gatewayError('invalid_header', { detail: 'name' });
    // RFC 9110 §5.5: field-vchar / SP / HTAB only; obs-text (0x80-0xff) refused too.
    if (/[^\t\x20-\x7e]/.test(value)) throw gatewayError('invalid_header', { detail: 'value' });
    if (Buffer.byteLength(value, 'latin1') > limits.maxHeaderValueBytes) {
      throw gatewayError('headers_too_large', { detail: 'value-size' });
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      contentLengths += 1;
      if (!CONTENT_LENGTH.test(value)) throw gatewayError('request_smuggling', { detail: 'cl' });
    } else if (lower === 'transfer-encoding') {
      transferEncodings += 1;
      if (value.trim().toLowerCase() !== 'chunked') {
        throw gatewayError('request_smuggling', { detail: 'te-value' });
      }
    } else if (lower === 'host') hosts += 1;
  }
  if (contentLengths > 1) throw gatewayError('request_smuggling', { detail: 'cl-duplicate' });
  if (transferEncodings > 1) throw gatewayError('request_smuggling', { detail: 'te-duplicate' });
  if (contentLengths === 1 && transferEncodings === 1) {
    throw gatewayError('request_smuggling', { detail: 'cl-and-te' });
  }
  if (hosts !== 1) throw gatewayError('bad_request', { detail: 'host-count' });
}

/**
 * The request's host name (lowercase, no port) if it is one of `allowedHosts`, else 421
 * (RFC 9110 §15.5.20): the gateway never serves a name it was not configured for.
 */
export function checkHost(hostHeader: string | undefined, allowedHosts: readonly string[]): string {
  if (hostHeader === undefined) throw gatewayError('bad_request', { detail: 'host-missing' });
  const match = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/i.exec(hostHeader);
  if (match === null) throw gatewayError('misdirected_request', { detail: 'host-syntax' });
  const host = (match[1] as string).toLowerCase();
  if (!allowedHosts.includes(host)) throw gatewayError('misdirected_request', { detail: 'host' });
  return host;
}
