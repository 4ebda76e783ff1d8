/**
 * Every gateway option with its default, documented where it is defined (CONVENTIONS.md
 * "Configuration"). Defaults fail closed: no route is public unless declared, rate limiting
 * refuses when its store is down, TLS below 1.2 is never offered.
 */

/** A fixed window: at most `limit` requests per `windowMs` milliseconds. */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}

export const gatewayDefaults = Object.freeze({
  /** Default per-route body cap in bytes (PLATFORM.md §4: 1 MiB). */
  bodyCapBytes: 1024 * 1024,
  /** Maximum number of request header fields; more → 431 (RFC 6585 §5). */
  maxHeaderCount: 64,
  /**
   * Maximum total size of the request head in bytes (Node `maxHeaderSize`; llhttp refuses
   * beyond it and we answer 431).
   */
  maxHeaderBytes: 16 * 1024,
  /** Maximum size of a single header value in bytes (431). */
  maxHeaderValueBytes: 8 * 1024,
  /** Slowloris: the whole request head must arrive within this many ms (Node `headersTimeout`). */
  headersTimeoutMs: 10_000,
  /** Slowloris: the whole request (head + body) must arrive within this many ms (`requestTimeout`). */
  requestTimeoutMs: 120_000,
  /** Idle keep-alive connections are closed after this many ms. */
  keepAliveTimeoutMs: 5_000,
  /** Upstream TCP+TLS connect timeout, ms. */
  upstreamConnectTimeoutMs: 5_000,
  /** Upstream: time to the response head, ms (undici `headersTimeout`). */
  upstreamHeadersTimeoutMs: 30_000,
  /** Upstream: maximum idle gap between body chunks, ms (undici `bodyTimeout`). */
  upstreamBodyTimeoutMs: 30_000,
  /** Keep-alive connections per upstream origin (undici `Pool` `connections`). */
  upstreamConnections: 64,
  /**
   * Extra attempts for idempotent, bodyless requests (GET/HEAD/OPTIONS, RFC 9110 §9.2.2) when
   * the upstream connection fails before a response. Requests with bodies are never retried.
   */
  upstreamRetries: 2,
  /** Per source address, before authentication, across all routes. */
  perAddress: Object.freeze({ limit: 600, windowMs: 60_000 }) as RateWindow,
  /** Per client (`client_id`) after authentication, unless the route overrides it. */
  perClient: Object.freeze({ limit: 600, windowMs: 60_000 }) as RateWindow,
  /** Per tenant (`tid`) after authentication, unless the route overrides it. */
  perTenant: Object.freeze({ limit: 6_000, windowMs: 60_000 }) as RateWindow,
  /**
   * When the rate-limit store (KV) fails: `closed` answers 503 `rate_limit_unavailable`, `open`
   * lets the request through (logged). Authenticated routes default to closed.
   */
  rateLimitFailModeAuthenticated: 'closed' as 'open' | 'closed',
  /** Same for public (unauthenticated) routes. */
  rateLimitFailModePublic: 'closed' as 'open' | 'closed',
  /** RFC 6797 HSTS `max-age` in seconds (one year); sent on every TLS response. */
  hstsMaxAgeSeconds: 31_536_000,
  /** TLS: lowest protocol version offered (RFC 8996 deprecates 1.0/1.1). */
  tlsMinVersion: 'TLSv1.2' as const,
  /**
   * TLS 1.2 cipher suites: ECDHE + AEAD only (RFC 9325 §4.2). TLS 1.3 suites are always enabled
   * by OpenSSL and preferred, since 1.3 is negotiated whenever the client offers it.
   */
  tlsCiphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  /** Loopback address of the internal metrics listener (never exposed externally). */
  metricsHost: '127.0.0.1',
  /** Upstream reachability probe timeout for `/readyz`, ms. */
  readinessProbeTimeoutMs: 2_000,
});
