/**
 * Identity propagation (PLATFORM.md §4): the upstream request carries the client's end-to-end
 * headers minus every hop-by-hop field (RFC 9110 §7.6.1), every inbound `X-StellaOps-*`,
 * `Client-Cert`, correlation and forwarding header (never trusted from outside), plus the
 * identity headers the gateway sets itself.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

const RESERVED = new Set([
  'client-cert',
  'client-cert-chain',
  'x-correlation-id',
  'traceparent',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

/** Whether an inbound header is dropped before proxying. */
export function isStrippedRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP.has(lower) || RESERVED.has(lower) || lower.startsWith('x-stellaops-');
}

/**
 * Copies the end-to-end headers (Content-Length stays: it was vetted by hygiene and undici
 * refuses a streamed body whose length differs from it), dropping also any listed in `Connection`
 * (RFC 9110 §7.6.1). Writes into `out` so the proxy builds one object per request.
 */
export function filterRequestHeaders(
  headers: IncomingHttpHeaders,
  out: Record<string, string> = {},
): Record<string, string> {
  const connection = headers['connection'];
  const connectionListed =
    connection === undefined
      ? undefined
      : new Set(
          String(connection)
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter((s) => s !== ''),
        );
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isStrippedRequestHeader(name) || connectionListed?.has(name)) {
      continue;
    }
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const SORTED_SCOPES = new WeakMap<readonly string[], string>();

/**
 * Space-separated, sorted scopes. Memoised per array: a verified token's scope array is frozen
 * and shared by every request that presents the token, so the sort runs once per token.
 */
export function sortedScopes(scopes: readonly string[]): string {
  let text = SORTED_SCOPES.get(scopes);
  if (text === undefined) {
    text = [...scopes].sort().join(' ');
    if (Object.isFrozen(scopes)) SORTED_SCOPES.set(scopes, text);
  }
  return text;
}

export interface IdentityHeaders {
  readonly correlationId: string;
  readonly traceparent: string;
  readonly address: string;
  readonly tenant?: string;
  readonly clientId?: string;
  readonly scopes?: readonly string[];
  readonly identityEnvelope?: string;
  readonly clientCert?: string;
}

/** The headers the gateway sets on the upstream hop (after stripping), written into `out`. */
export function identityHeaders(
  identity: IdentityHeaders,
  out: Record<string, string> = {},
): Record<string, string> {
  out['x-correlation-id'] = identity.correlationId;
  out['traceparent'] = identity.traceparent;
  out['x-forwarded-for'] = identity.address;
  out['x-forwarded-proto'] = 'https';
  if (identity.tenant !== undefined) out['x-stellaops-tenant'] = identity.tenant;
  if (identity.clientId !== undefined) out['x-stellaops-client'] = identity.clientId;
  if (identity.scopes !== undefined) out['x-stellaops-scopes'] = sortedScopes(identity.scopes);
  if (identity.identityEnvelope !== undefined) {
    out['x-stellaops-identity'] = identity.identityEnvelope;
  }
  if (identity.clientCert !== undefined) out['client-cert'] = identity.clientCert;
  return out;
}

const RESPONSE_DROP = HOP_BY_HOP;

/** Upstream response headers passed to the client (hop-by-hop and correlation dropped). */
export function filterResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || RESPONSE_DROP.has(lower) || lower === 'x-correlation-id') continue;
    if (lower === 'strict-transport-security') continue; // the front door sets its own
    out[lower] = value;
  }
  return out;
}
