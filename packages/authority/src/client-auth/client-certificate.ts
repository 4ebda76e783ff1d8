/**
 * Which client certificate a request presents (RFC 8705 §2, RFC 9440) and whether it is valid
 * for a `tls_client_auth` client. The certificate comes from the TLS socket when the Authority
 * terminates TLS itself; the RFC 9440 `Client-Cert` header is honoured ONLY when the TLS peer is
 * the gateway's verified service identity (PLATFORM.md §3) and ignored otherwise, so a client
 * cannot claim a certificate by sending a header.
 */
import { X509Certificate } from 'node:crypto';
import type { Clock } from '@stella/core';
import { encodeBase64url, sha256 } from '@stella/core';
import { authorityError } from '../errors.ts';

export interface TlsPeer {
  /** DER of the TLS peer's leaf certificate, when one was presented. */
  readonly certificate: Uint8Array | undefined;
  /** Whether Node verified the peer chain against the listener's CA (`socket.authorized`). */
  readonly authorized: boolean;
}

/** URIs in a certificate's subjectAltName (Node renders `URI:<value>` entries). */
export function sanUris(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san === undefined) return [];
  return san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

export function serviceIdentityUri(trustDomain: string, name: string): string {
  return `spiffe://${trustDomain}/svc/${name}`;
}

/** True when the TLS peer is the platform service `name` with a chain Node verified. */
export function isServicePeer(peer: TlsPeer, trustDomain: string, name: string): boolean {
  if (!peer.authorized || peer.certificate === undefined) return false;
  try {
    const cert = new X509Certificate(peer.certificate);
    return sanUris(cert).includes(serviceIdentityUri(trustDomain, name));
  } catch {
    return false;
  }
}

// RFC 9440 §2.2: Client-Cert is an RFC 8941 sf-binary: `:` base64 `:`. Attacker-controlled.
const SF_BINARY = /^:([A-Za-z0-9+/]+={0,2}):$/;

export function parseClientCertHeader(value: string): Uint8Array {
  const match = SF_BINARY.exec(value);
  if (match === null || value.length > 16384) {
    throw authorityError('invalid_client', { detail: 'client-cert: malformed header' });
  }
  const der = Buffer.from(match[1]!, 'base64');
  if (der.toString('base64') !== match[1]) {
    throw authorityError('invalid_client', { detail: 'client-cert: not canonical base64' });
  }
  return new Uint8Array(der);
}

/**
 * The client certificate of this request: from `Client-Cert` when (and only when) the TLS peer
 * is the gateway (`fromGateway`, see `request-origin.ts`), otherwise the TLS peer certificate
 * itself — a `Client-Cert` header from any other peer is ignored.
 */
export function presentedClientCertificate(
  peer: TlsPeer,
  clientCertHeader: string | undefined,
  fromGateway: boolean,
): Uint8Array | undefined {
  if (fromGateway) {
    return clientCertHeader === undefined ? undefined : parseClientCertHeader(clientCertHeader);
  }
  return peer.certificate;
}

/** RFC 8705 §3.1: `x5t#S256` = base64url(SHA-256(DER)). */
export function certificateThumbprint(der: Uint8Array): string {
  return encodeBase64url(sha256(der));
}

function fail(detail: string): never {
  throw authorityError('invalid_client', { detail: `tls_client_auth: ${detail}` });
}

function within(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/**
 * RFC 8705 §2.1.2 with the PLATFORM.md §2 rule: the certificate must be issued (and signed) by one
 * of the client's registered trust roots, be within its validity period at the injected clock,
 * and carry the SAN URI `urn:stellaops:client:<client_id>`. Register an intermediate CA as the
 * trust root when clients are issued below one.
 */
export function verifyClientCertificate(
  der: Uint8Array,
  trustRoots: readonly string[],
  clientId: string,
  clock: Clock,
): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return fail('certificate does not parse');
  }
  const now = clock.now();
  if (!within(cert, now)) fail('certificate outside its validity period');
  if (!sanUris(cert).includes(`urn:stellaops:client:${clientId}`)) fail('SAN URI mismatch');
  const chained = trustRoots.some((pem) => {
    try {
      const root = new X509Certificate(pem);
      return within(root, now) && cert.checkIssued(root) && cert.verify(root.publicKey);
    } catch {
      return false;
    }
  });
  if (!chained) fail('certificate does not chain to a registered trust root');
}
