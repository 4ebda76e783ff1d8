/**
 * Every Authority option with its safe default (svc-contract: one `defaults.ts` per service, each
 * option documented where it is defined: what, unit, RFC). `resolveAuthorityConfig` validates a
 * partial config against these, refuses unknown keys and values above hard caps (fail closed:
 * PLATFORM.md §2 "a config above the cap refuses to start"), and deep-freezes the result.
 */
import { coreError } from '@stella/core';

export interface RateLimit {
  /** Requests allowed per window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

export interface AuthorityConfig {
  /** Issuer URL (RFC 8414 §2 `issuer`), exactly as it appears in `iss`; https except on loopback. */
  readonly issuer: string;
  /** Installation id written to the `inst` claim (PLATFORM.md §2). */
  readonly installationId: string;
  /** Access-token lifetime in seconds (PLATFORM.md §2: default 120, hard cap 300). */
  readonly accessTokenLifetimeSeconds: number;
  /** Allowed clock skew in seconds for `nbf`/`exp` checks and key retirement grace. */
  readonly clockSkewSeconds: number;
  /** RFC 7523 §3 (4): an assertion `exp` may be at most this many seconds ahead (cap 300). */
  readonly maxAssertionLifetimeSeconds: number;
  /** RFC 9449 §4.3 (11) acceptance window for DPoP `iat`, seconds either side (StellaOps: 30). */
  readonly dpopIatWindowSeconds: number;
  /** Audiences whose tokens need a server-provided DPoP nonce at `/token` (RFC 9449 §8). */
  readonly requireNonceAudiences: readonly string[];
  /** Audiences a token may be issued for (single-valued `aud`, PLATFORM.md §2). */
  readonly audiences: readonly string[];
  /** Trust domain of service identities: `spiffe://<trustDomain>/svc/<name>` (PLATFORM.md §3). */
  readonly trustDomain: string;
  /**
   * Service name of the gateway: a TLS peer with SAN URI `spiffe://<trustDomain>/svc/<this>` (and a
   * chain the listener verified) is the only peer whose RFC 9440 `Client-Cert` and
   * `X-Forwarded-For` headers are believed (PLATFORM.md §3).
   */
  readonly gatewayServiceName: string;
  /** Maximum urlencoded request body in bytes; larger bodies are refused before parsing. */
  readonly maxFormBytes: number;
  /** Per-client `/token` limit (PLATFORM.md §2: 60/min). */
  readonly tokenClientLimit: RateLimit;
  /** Per-source-address `/token` limit (600/min). */
  readonly tokenAddressLimit: RateLimit;
  /** Per-client `/introspect` limit (600/min). */
  readonly introspectClientLimit: RateLimit;
  /** Per-client `/revoke` limit (60/min). */
  readonly revokeClientLimit: RateLimit;
  /** Per-client `/internal/*` limit (5/min). */
  readonly adminClientLimit: RateLimit;
  /** How long a replica caches signing-key metadata before re-reading it, milliseconds. */
  readonly keyRefreshMs: number;
  /**
   * How long a replica trusts its cached ACTIVE client and tenant records, milliseconds (0: no
   * cache). A client or tenant disabled through another replica stops getting tokens here within
   * this bound; the replica that disables refuses at once (`client-cache.ts`).
   */
  readonly clientCacheMs: number;
}

const minute = 60_000;

export const authorityDefaults = Object.freeze({
  issuer: 'https://authority.stella.local',
  installationId: 'stella-local',
  accessTokenLifetimeSeconds: 120,
  clockSkewSeconds: 30,
  maxAssertionLifetimeSeconds: 300,
  dpopIatWindowSeconds: 30,
  requireNonceAudiences: Object.freeze(['signer', 'attestor']),
  audiences: Object.freeze(['gateway', 'signer', 'attestor', 'authority']),
  trustDomain: 'stella.local',
  gatewayServiceName: 'gateway',
  maxFormBytes: 16 * 1024,
  tokenClientLimit: Object.freeze({ limit: 60, windowMs: minute }),
  tokenAddressLimit: Object.freeze({ limit: 600, windowMs: minute }),
  introspectClientLimit: Object.freeze({ limit: 600, windowMs: minute }),
  revokeClientLimit: Object.freeze({ limit: 60, windowMs: minute }),
  adminClientLimit: Object.freeze({ limit: 5, windowMs: minute }),
  keyRefreshMs: 5_000,
  clientCacheMs: 2_000,
}) satisfies AuthorityConfig;

/** PLATFORM.md §2: token lifetime hard cap, seconds. */
export const maxAccessTokenLifetimeSeconds = 300;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function invalid(detail: string): never {
  throw coreError('invalid_config', { detail: `authority: ${detail}` });
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}]`);
  }
}

function checkLimit(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) invalid(`${name} must be an object`);
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'limit,windowMs') invalid(`${name} takes exactly limit and windowMs`);
  const v = value as Record<string, unknown>;
  checkInteger(`${name}.limit`, v['limit'], 1, 1_000_000);
  checkInteger(`${name}.windowMs`, v['windowMs'], 1_000, 3_600_000);
}

function checkStringList(name: string, value: unknown): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    invalid(`${name} must be a list of non-empty strings`);
  }
}

function checkIssuer(value: unknown): void {
  if (typeof value !== 'string') invalid('issuer must be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid('issuer must be an absolute URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  // RFC 8414 §2: the issuer is an https URL with no query or fragment.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    invalid('issuer must use https (http only on loopback)');
  }
  if (url.search !== '' || url.hash !== '' || value.endsWith('/')) {
    invalid('issuer must have no query, fragment or trailing slash');
  }
}

/** Merges `input` over the defaults, validates every field, and deep-freezes the result. */
export function resolveAuthorityConfig(input: Partial<AuthorityConfig> = {}): AuthorityConfig {
  for (const key of Object.keys(input)) {
    if (!(key in authorityDefaults)) invalid(`unknown option ${key}`);
  }
  const merged: Mutable<AuthorityConfig> = { ...authorityDefaults, ...input };
  checkIssuer(merged.issuer);
  if (typeof merged.installationId !== 'string' || merged.installationId === '') {
    invalid('installationId must be a non-empty string');
  }
  checkInteger(
    'accessTokenLifetimeSeconds',
    merged.accessTokenLifetimeSeconds,
    1,
    maxAccessTokenLifetimeSeconds,
  );
  checkInteger('clockSkewSeconds', merged.clockSkewSeconds, 0, 120);
  checkInteger('maxAssertionLifetimeSeconds', merged.maxAssertionLifetimeSeconds, 1, 300);
  checkInteger('dpopIatWindowSeconds', merged.dpopIatWindowSeconds, 1, 300);
  checkStringList('requireNonceAudiences', merged.requireNonceAudiences);
  checkStringList('audiences', merged.audiences);
  if (typeof merged.trustDomain !== 'string' || !/^[a-z0-9.-]+$/.test(merged.trustDomain)) {
    invalid('trustDomain must be a DNS-like name');
  }
  if (
    typeof merged.gatewayServiceName !== 'string' ||
    !/^[a-z][a-z0-9-]{0,62}$/.test(merged.gatewayServiceName)
  ) {
    invalid('gatewayServiceName must be a service name');
  }
  checkInteger('maxFormBytes', merged.maxFormBytes, 256, 1024 * 1024);
  for (const name of [
    'tokenClientLimit',
    'tokenAddressLimit',
    'introspectClientLimit',
    'revokeClientLimit',
    'adminClientLimit',
  ] as const) {
    checkLimit(name, merged[name]);
  }
  checkInteger('keyRefreshMs', merged.keyRefreshMs, 0, 300_000);
  checkInteger('clientCacheMs', merged.clientCacheMs, 0, 30_000);
  return Object.freeze({
    ...merged,
    requireNonceAudiences: Object.freeze([...merged.requireNonceAudiences]),
    audiences: Object.freeze([...merged.audiences]),
    tokenClientLimit: Object.freeze({ ...merged.tokenClientLimit }),
    tokenAddressLimit: Object.freeze({ ...merged.tokenAddressLimit }),
    introspectClientLimit: Object.freeze({ ...merged.introspectClientLimit }),
    revokeClientLimit: Object.freeze({ ...merged.revokeClientLimit }),
    adminClientLimit: Object.freeze({ ...merged.adminClientLimit }),
  });
}
