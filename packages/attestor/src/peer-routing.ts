/**
 * Who may call the attestor's private listener (PLATFORM.md §3 service identity): the gateway
 * (forwarding end clients: behind-the-gateway verification — gateway mTLS identity, the
 * `X-StellaOps-Identity` envelope and the client's access token) and the signer (calling as
 * itself: direct verification of an mTLS-bound token whose `cnf.x5t#S256` is the signer's own
 * peer certificate, RFC 8705 §3). Any other peer is refused before a token is even parsed.
 * Each route names which of the two callers it serves (`config.callers`).
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { AuthError, spiffeIdOf } from '@stella/auth';
import type { PeerCertificateLike, RequestVerifier } from '@stella/auth';

export type Caller = 'gateway' | 'signer';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which peer identities may call the route (checked before authentication). */
    callers?: readonly Caller[];
  }
}

export interface PeerAllowlist {
  readonly gateway: readonly string[];
  readonly signer: readonly string[];
}

/** The chain-verified peer certificate of the request's TLS socket, if any. */
export function peerCertificateOf(request: FastifyRequest): PeerCertificateLike | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function')
    return undefined;
  const cert = socket.getPeerCertificate();
  return {
    ...(cert.raw === undefined ? {} : { raw: new Uint8Array(cert.raw) }),
    ...(cert.subjectaltname === undefined ? {} : { subjectaltname: cert.subjectaltname }),
  };
}

/** Which caller the peer is, or undefined for any other (or no) identity. */
export function callerOf(
  peer: PeerCertificateLike | undefined,
  allow: PeerAllowlist,
): Caller | undefined {
  const id = spiffeIdOf(peer);
  if (id === undefined) return undefined;
  if (allow.gateway.includes(id)) return 'gateway';
  if (allow.signer.includes(id)) return 'signer';
  return undefined;
}

/** Dispatches to the behind-gateway or the direct verifier by the peer's SPIFFE id. */
export function createPeerRoutedVerifier(options: {
  allow: PeerAllowlist;
  gateway: RequestVerifier;
  direct: RequestVerifier;
}): RequestVerifier {
  return {
    verifyRequest(input) {
      const caller = callerOf(input.peerCertificate, options.allow);
      if (caller === 'gateway') return options.gateway.verifyRequest(input);
      if (caller === 'signer') return options.direct.verifyRequest(input);
      return Promise.reject(new AuthError('untrusted_peer', { detail: 'peer not allowed' }));
    },
  };
}
