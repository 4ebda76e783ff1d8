/**
 * mTLS sender constraint and service identity: RFC 8705 certificate thumbprints, the RFC 9440
 * `Client-Cert` header a gateway forwards, and SPIFFE ids from a peer certificate's SAN URI
 * (PLATFORM.md §3 "mTLS", "Service identity").
 */
import { X509Certificate, createHash } from 'node:crypto';
import { AuthError } from './errors.ts';
import { LruCache } from './lru.ts';

/** The parts of node's `tls.PeerCertificate` this package reads. */
export interface PeerCertificateLike {
  /** DER bytes (`getPeerCertificate().raw`). */
  readonly raw?: Uint8Array;
  /** e.g. `URI:spiffe://stella.local/svc/gateway, DNS:gateway` */
  readonly subjectaltname?: string;
}

/** RFC 8705 §3.1: `x5t#S256` = base64url(SHA-256(certificate DER)). */
export function x5tS256(certDer: Uint8Array): string {
  return createHash('sha256').update(certDer).digest('base64url');
}

const SF_BINARY = /^:([A-Za-z0-9+/]*={0,2}):$/;

// Building an X509Certificate per request was ~15% of a behind-gateway service's CPU; the same
// few client certificates arrive over and over. Only headers that parsed successfully are cached,
// keyed by the SHA-256 of the header value (a bounded key, no collisions in practice), so a flood
// of distinct garbage values costs nothing but the parse and cannot evict by growing memory.
const CLIENT_CERT_CACHE_ENTRIES = 512;
const parsedClientCerts = new LruCache<string, Uint8Array>(CLIENT_CERT_CACHE_ENTRIES);

/**
 * Parses an RFC 9440 §2.2 `Client-Cert` value: an RFC 8941 §3.3.5 Byte Sequence (`:base64:`)
 * holding one DER certificate. Attacker-controlled: size-capped, strict canonical base64, and the
 * bytes must parse as an X.509 certificate. Throws `invalid_request` otherwise. Results are
 * memoised (bounded LRU); each call returns its own copy of the DER bytes.
 */
export function parseClientCertHeader(value: string, maxBytes = 16 * 1024): Uint8Array {
  const refuse = (detail: string) => new AuthError('invalid_request', { detail });
  if (typeof value !== 'string' || value.length > maxBytes) throw refuse('client-cert size');
  const cacheKey = createHash('sha256').update(value).digest('base64url');
  const cached = parsedClientCerts.get(cacheKey);
  if (cached !== undefined) return new Uint8Array(cached);
  const match = SF_BINARY.exec(value);
  const base64 = match?.[1];
  if (base64 === undefined || base64.length === 0 || base64.length % 4 !== 0) {
    throw refuse('client-cert not a byte sequence');
  }
  const der = Buffer.from(base64, 'base64');
  if (der.toString('base64') !== base64) throw refuse('client-cert non-canonical base64');
  try {
    new X509Certificate(der);
  } catch {
    throw refuse('client-cert not a certificate');
  }
  const parsed = new Uint8Array(der);
  parsedClientCerts.set(cacheKey, parsed);
  return new Uint8Array(parsed);
}

// SPIFFE ID (spiffe.io SPIFFE-ID §2): lowercase trust domain, path segments of [A-Za-z0-9._-].
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/;

/**
 * The SPIFFE id of a peer, or undefined unless the SAN holds exactly one well-formed
 * `spiffe://` URI (SPIFFE X509-SVID §2 requires exactly one). Node quotes SAN entries that contain
 * separators, and such quoted entries never match the strict pattern.
 */
export function spiffeIdOf(peer: PeerCertificateLike | undefined): string | undefined {
  const san = peer?.subjectaltname;
  if (typeof san !== 'string') return undefined;
  const uris = san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
  const spiffe = uris.filter((uri) => uri.startsWith('spiffe://'));
  if (spiffe.length !== 1 || !SPIFFE_ID.test(spiffe[0] ?? '')) return undefined;
  return spiffe[0];
}

/** The peer's SPIFFE id when it is on `allowed`; `untrusted_peer` otherwise. */
export function assertPeerIdentity(
  peer: PeerCertificateLike | undefined,
  allowed: readonly string[],
): string {
  const id = spiffeIdOf(peer);
  if (id === undefined || !allowed.includes(id)) {
    throw new AuthError('untrusted_peer', { detail: id === undefined ? 'no spiffe id' : id });
  }
  return id;
}
