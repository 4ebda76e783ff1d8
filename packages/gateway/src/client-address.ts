import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The client's address for per-address rate limits and audit. It is the TCP peer, except when
 * the peer is a configured front door (nginx) — then the front door's `X-Forwarded-For` names the
 * client. The deploy/nginx config SETS the header to `$remote_addr` (never appends a client's
 * own value), so exactly one address is expected; anything else falls back to the peer, so a
 * client can never choose its own rate-limit bucket. ATTACKER-CONTROLLED header.
 */
export function clientAddressOf(
  request: FastifyRequest,
  trustedProxies: ReadonlySet<string>,
): string {
  const peer = canonicalAddress(request.raw.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.has(peer)) return peer;
  const forwarded = request.headers['x-forwarded-for'];
  if (typeof forwarded !== 'string') return peer;
  const address = forwarded.trim();
  return isIP(address) === 0 ? peer : canonicalAddress(address);
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * One spelling per address, for the trusted-proxy set and the per-address buckets: a dual-stack
 * listener reports IPv4 peers as IPv4-mapped IPv6 (`::ffff:10.0.0.5`), which must match a
 * configured `10.0.0.5` (and land in the same bucket); IPv6 is compared in lower case.
 */
export function canonicalAddress(address: string): string {
  return IPV4_MAPPED.exec(address)?.[1] ?? address.toLowerCase();
}
