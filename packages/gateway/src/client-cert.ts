/**
 * Client certificates at the front door (RFC 8705 via RFC 9440). The TLS listener asks for a
 * certificate but does not require one (`requestCert: true, rejectUnauthorized: false`) so DPoP
 * clients without certificates still connect; a presented certificate counts only when its chain
 * verified against the configured trust roots (`socket.authorized`, checked per request).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface PeerCertificate {
  /** DER bytes of the leaf certificate. */
  readonly der: Uint8Array;
}

function isTlsSocket(socket: Socket): socket is TLSSocket {
  return (socket as Partial<TLSSocket>).encrypted === true;
}

/** The verified client certificate on this connection, or undefined (absent or untrusted). */
export function verifiedPeerCertificate(socket: Socket): PeerCertificate | undefined {
  if (!isTlsSocket(socket) || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate(false);
  if (cert === null || !Buffer.isBuffer(cert.raw) || cert.raw.length === 0) return undefined;
  return { der: new Uint8Array(cert.raw) };
}

/** RFC 9440 §2.2: `Client-Cert` is an RFC 8941 Byte Sequence of the DER certificate. */
export function formatClientCertHeader(cert: PeerCertificate): string {
  return `:${Buffer.from(cert.der).toString('base64')}:`;
}
