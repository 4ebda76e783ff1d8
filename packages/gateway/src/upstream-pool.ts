/**
 * Upstream connections (PLATFORM.md §1 "mTLS"): one undici keep-alive `Pool` per upstream origin,
 * whose TLS client certificate is the gateway's service identity (`spiffe://…/svc/gateway`), so
 * upstreams in behind-the-gateway mode can tell the gateway from any other caller.
 */
import { Pool } from 'undici';
import { gatewayDefaults } from './defaults.ts';

export interface UpstreamTls {
  /** PEM key and certificate of the gateway's service identity (mTLS client certificate). */
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** PEM trust roots for the upstream's server certificate (the platform CA). */
  readonly ca: string | Buffer;
  /** SNI / expected server name when it differs from the URL host. */
  readonly servername?: string;
}

export interface UpstreamOptions {
  /** Origin of the upstream's listener, e.g. `https://signer.internal:8443`. */
  readonly url: string;
  /** Required for `https:` upstreams. */
  readonly tls?: UpstreamTls;
  /** Path probed by `/readyz`; any HTTP answer counts as reachable. Default `/healthz`. */
  readonly healthPath?: string;
}

export interface UpstreamTimeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly connections: number;
}

export interface Upstream {
  readonly name: string;
  readonly pool: Pool;
  readonly healthPath: string;
}

export function createUpstream(
  name: string,
  options: UpstreamOptions,
  timeouts: UpstreamTimeouts,
): Upstream {
  const url = new URL(options.url);
  if (url.pathname !== '/' || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`upstream ${name}: url must be an origin`);
  }
  if (url.protocol === 'https:' && options.tls === undefined) {
    throw new TypeError(`upstream ${name}: https upstream needs tls (the gateway identity)`);
  }
  const pool = new Pool(url.origin, {
    connections: timeouts.connections,
    headersTimeout: timeouts.headersTimeoutMs,
    bodyTimeout: timeouts.bodyTimeoutMs,
    keepAliveTimeout: gatewayDefaults.keepAliveTimeoutMs,
    connect: {
      timeout: timeouts.connectTimeoutMs,
      ...(options.tls === undefined
        ? {}
        : {
            key: options.tls.key,
            cert: options.tls.cert,
            ca: options.tls.ca,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2' as const,
            ...(options.tls.servername === undefined ? {} : { servername: options.tls.servername }),
          }),
    },
  });
  return { name, pool, healthPath: options.healthPath ?? '/healthz' };
}

/** Reachability for `/readyz`: any HTTP response within the timeout. */
export async function probeUpstream(upstream: Upstream, timeoutMs: number): Promise<boolean> {
  try {
    const res = await upstream.pool.request({
      method: 'GET',
      path: upstream.healthPath,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return true;
  } catch {
    return false;
  }
}
