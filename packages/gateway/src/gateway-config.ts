/**
 * The gateway's configuration schema (PLATFORM.md §7 "Configuration"): unknown keys refuse to
 * start, secrets appear only as references, the result is deep-frozen.
 */
import { isIP } from 'node:net';
import type { GatewayLimits } from './service.ts';
import { gatewayDefaults } from './defaults.ts';

export interface GatewayConfig {
  /** External URL clients use (`https://gw.example`); DPoP `htu` is checked against it. */
  readonly externalUrl: string;
  readonly allowedHosts?: readonly string[];
  /** The Authority's issuer URL (`iss`). */
  readonly issuer: string;
  /** JWKS URL on the Authority's internal listener (fetched over mTLS). */
  readonly jwksUrl: string;
  /** Signed revocation bundle URL (polled; fail-closed after staleness). */
  readonly revocationsUrl: string;
  /** Front-door TLS: server key/cert and the trust roots for client certificates. */
  readonly tls?: {
    readonly keyRef: string;
    readonly certRef: string;
    readonly clientCaRef?: string;
  };
  /** The gateway's service identity (`spiffe://…/svc/gateway`) for upstream mTLS. */
  readonly identity: { readonly keyRef: string; readonly certRef: string; readonly caRef: string };
  /** Identity-envelope signing key (PEM PKCS#8, P-256 or Ed25519) and its kid. */
  readonly envelope: { readonly keyRef: string; readonly kid: string };
  /** DPoP nonce HMAC secret (≥ 32 bytes), shared by all gateway replicas. */
  readonly nonceSecretRef: string;
  /** Valkey URL reference (it may carry a password); in-memory KV when absent. */
  readonly valkeyUrlRef?: string;
  readonly upstreams: Readonly<
    Record<
      string,
      { readonly url: string; readonly servername?: string; readonly healthPath?: string }
    >
  >;
  /** Route table (see routes.ts); the platform default when absent. */
  readonly routes?: readonly unknown[];
  readonly limits?: Partial<GatewayLimits>;
  readonly metricsPort?: number;
  /** Front-door addresses whose `X-Forwarded-For` is trusted (see client-address.ts). */
  readonly trustedProxies?: readonly string[];
}

const TOP = new Set([
  'externalUrl',
  'allowedHosts',
  'issuer',
  'jwksUrl',
  'revocationsUrl',
  'tls',
  'identity',
  'envelope',
  'nonceSecretRef',
  'valkeyUrlRef',
  'upstreams',
  'routes',
  'limits',
  'metricsPort',
  'trustedProxies',
]);

// TLS policy and the metrics bind address are not tunable from config.
const FIXED = new Set(['tlsMinVersion', 'tlsCiphers', 'metricsHost']);

function fail(message: string): never {
  throw new TypeError(`invalid gateway config: ${message}`);
}

function record(
  value: unknown,
  path: string,
  keys: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`${path} must be an object`);
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(`${path}.${k} is unknown`);
  for (const k of required)
    if (typeof obj[k] !== 'string' || obj[k] === '') fail(`${path}.${k} is required`);
  return obj;
}

function url(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(`${path} must be a URL`);
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') fail(`${path} must be http(s)`);
  } catch {
    fail(`${path} must be a URL`);
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function parseGatewayConfig(input: unknown): GatewayConfig {
  const c = record(
    input,
    'gateway',
    [...TOP],
    ['externalUrl', 'issuer', 'jwksUrl', 'revocationsUrl', 'nonceSecretRef'],
  );
  for (const k of ['externalUrl', 'issuer', 'jwksUrl', 'revocationsUrl']) url(c[k], k);
  if (c['tls'] !== undefined)
    record(c['tls'], 'tls', ['keyRef', 'certRef', 'clientCaRef'], ['keyRef', 'certRef']);
  record(c['identity'], 'identity', ['keyRef', 'certRef', 'caRef'], ['keyRef', 'certRef', 'caRef']);
  record(c['envelope'], 'envelope', ['keyRef', 'kid'], ['keyRef', 'kid']);
  const upstreams = record(c['upstreams'], 'upstreams', Object.keys(c['upstreams'] ?? {}), []);
  for (const [name, u] of Object.entries(upstreams)) {
    const up = record(u, `upstreams.${name}`, ['url', 'servername', 'healthPath'], ['url']);
    url(up['url'], `upstreams.${name}.url`);
  }
  if (
    c['allowedHosts'] !== undefined &&
    (!Array.isArray(c['allowedHosts']) || c['allowedHosts'].some((h) => typeof h !== 'string'))
  ) {
    fail('allowedHosts must be a list of host names');
  }
  if (c['routes'] !== undefined && !Array.isArray(c['routes'])) fail('routes must be a list');
  if (c['limits'] !== undefined) {
    const tunable = Object.keys(gatewayDefaults).filter((k) => !FIXED.has(k));
    const limits = record(c['limits'], 'limits', tunable, []);
    for (const [k, v] of Object.entries(limits)) {
      const def = (gatewayDefaults as Record<string, unknown>)[k];
      if (typeof def === 'object') {
        const w = record(v, `limits.${k}`, ['limit', 'windowMs'], []);
        if (!Number.isSafeInteger(w['limit']) || !Number.isSafeInteger(w['windowMs']))
          fail(`limits.${k}`);
      } else if (typeof def === 'string') {
        if (v !== 'open' && v !== 'closed') fail(`limits.${k} must be "open" or "closed"`);
      } else if (!Number.isSafeInteger(v) || (v as number) < 0)
        fail(`limits.${k} must be a non-negative integer`);
    }
  }
  const port = c['metricsPort'];
  if (
    port !== undefined &&
    (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
  )
    fail('metricsPort');
  const proxies = c['trustedProxies'];
  if (
    proxies !== undefined &&
    (!Array.isArray(proxies) || proxies.some((a) => typeof a !== 'string' || isIP(a) === 0))
  )
    fail('trustedProxies must be a list of IP addresses');
  return deepFreeze(structuredClone(c)) as unknown as GatewayConfig;
}
