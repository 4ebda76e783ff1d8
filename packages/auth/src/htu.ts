/**
 * `htu` comparison (RFC 9449 §4.3 (9)): both sides are normalized per RFC 3986 §6.2.2 (case,
 * percent-encoding, dot segments) and §6.2.3 (default port, empty path) and compared without
 * query and fragment.
 */
import { LruCache } from './lru.ts';

const UNRESERVED = /[A-Za-z0-9\-._~]/;

// RFC 3986 §6.2.2.2: decode percent-encoded unreserved characters, uppercase the remaining hex.
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Normalizes an absolute http(s) URI to `scheme://host[:port]/path`, or returns undefined when
 * the input is not one. The WHATWG parser lowercases scheme and host, drops default ports, turns
 * an empty path into `/` and removes dot segments (including `%2e` forms); userinfo is refused.
 */
export function normalizeHtu(value: string): string | undefined {
  if (value.length > 4096) return undefined;
  const hit = memo.get(value);
  if (hit !== undefined) return hit === false ? undefined : hit;
  const normalized = parseHtu(value);
  memo.set(value, normalized ?? false);
  return normalized;
}

// normalizeHtu is a pure function of its input, and every DPoP request normalizes the same few
// strings (the configured base, the request URL, the client's `htu`): a bounded LRU of results
// (≤ 512 × 4 KiB) saves the WHATWG parse per call. `false` records "not an http(s) URI".
const memo = new LruCache<string, string | false>(512);

function parseHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '' || url.host === '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

/**
 * The external URL of a request: the CONFIGURED base (`https://gw.example:8443`) plus the
 * received origin-form target (RFC 9112 §3.2.1), never the Host header. Returns undefined for a
 * target that is not origin-form (it could otherwise move the authority).
 */
export function requestHtu(externalBase: string, target: string): string | undefined {
  if (!target.startsWith('/') || target.startsWith('//')) return undefined;
  const base = normalizeHtu(externalBase);
  if (base === undefined) return undefined;
  const origin = base.replace(/\/$/, '');
  const full = normalizeHtu(`${origin}${target}`);
  // A normalized URI is `scheme://host[:port]/path`, so its origin ends at the first `/` after
  // the authority (the same string `new URL(base).origin` gives, without a parse per request).
  const baseOrigin = base.slice(0, base.indexOf('/', base.indexOf('//') + 2));
  if (full === undefined || !full.startsWith(`${baseOrigin}/`)) return undefined;
  return full;
}
