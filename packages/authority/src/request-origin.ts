/**
 * Where a request really comes from. Behind the gateway the TLS peer is the gateway, so the
 * client's certificate arrives as RFC 9440 `Client-Cert` and its address as `X-Forwarded-For`
 * (RFC 7239 §5.2 de-facto form). Both headers are attacker-controlled on any other connection, so
 * they are believed ONLY when the TLS peer is the gateway's verified service identity
 * (`spiffe://<trustDomain>/svc/<gatewayServiceName>`, PLATFORM.md §3); otherwise the TLS peer
 * certificate and the socket address are used and the headers are ignored.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { AuthorityConfig } from './defaults.ts';
import { isServicePeer, presentedClientCertificate } from './client-auth/client-certificate.ts';
import { headerValues, singleHeader, tlsPeerOf } from './http-support.ts';

type OriginConfig = Pick<AuthorityConfig, 'trustDomain' | 'gatewayServiceName'>;

// One X.509 parse per connection, not per request: a TLS peer cannot change mid-connection.
const gatewayPeers = new WeakMap<object, boolean>();

/** True when this connection's verified TLS peer is the gateway. */
export function isGatewayPeer(request: FastifyRequest, config: OriginConfig): boolean {
  const socket = request.raw.socket;
  const known = gatewayPeers.get(socket);
  if (known !== undefined) return known;
  const result = isServicePeer(tlsPeerOf(request), config.trustDomain, config.gatewayServiceName);
  gatewayPeers.set(socket, result);
  return result;
}

/** The client certificate of this request (TLS peer, or `Client-Cert` from the gateway). */
export function requestClientCertificate(
  request: FastifyRequest,
  config: OriginConfig,
): Uint8Array | undefined {
  return presentedClientCertificate(
    tlsPeerOf(request),
    singleHeader(request, 'client-cert'),
    isGatewayPeer(request, config),
  );
}

/**
 * The client's address for per-address rate limits and audit. From the gateway: the RIGHTMOST
 * `X-Forwarded-For` entry — the one the gateway itself appended; entries to its left were sent
 * by the client and prove nothing. Anything unparsable falls back to the socket address.
 */
export function clientAddressOf(request: FastifyRequest, config: OriginConfig): string {
  if (!isGatewayPeer(request, config)) return request.ip;
  const values = headerValues(request, 'x-forwarded-for');
  const last = values.join(',').split(',').at(-1)?.trim() ?? '';
  return values.length > 0 && isIP(last) !== 0 ? last : request.ip;
}
