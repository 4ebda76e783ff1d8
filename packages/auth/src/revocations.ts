/**
 * The Authority's signed revocation bundle (`GET /revocations`, PLATFORM.md §2), for resource
 * servers that must honour revocation without calling introspection per request.
 *
 * WIRE FORMAT (the Authority produces exactly this):
 * - a compact JWS, protected header `{ "alg": "ES256" | "EdDSA", "kid": <Authority JWKS kid>,
 *   "typ": "stella-revocations+jwt" }`, signed by an Authority key published in its JWKS;
 * - payload = the RFC 8785 canonical JSON of a `RevocationBundle`:
 *   `iss`       the Authority issuer URL, exactly as in access tokens;
 *   `sequence`  non-negative integer, incremented on every change; consumers refuse a bundle with
 *               a lower sequence than one they have accepted (no rollback);
 *   `issuedAt`  NumericDate (seconds) when this sequence was produced;
 *   `jtis`      `[{ jti, exp }]` revoked access tokens, sorted by `jti`; an entry may be dropped
 *               once `exp` has passed (the token is dead anyway);
 *   `clients`   `[{ client_id, tenant?, revokedAt }]`: every token of `client_id` (in `tenant`, or
 *               in every tenant when absent) with `iat <= revokedAt` is revoked; sorted by
 *               (client_id, tenant);
 *   `tenants`   `[{ tenant, revokedAt }]`: every token with `tid = tenant` and `iat <= revokedAt`
 *               is revoked; sorted by tenant.
 *   No other members are allowed (unknown members are refused: fail closed).
 * Same state ⇒ byte-identical bundle (deterministic), so replicas and mirrors can cache it.
 */
import type { Clock } from '@stella/core';
import { AuthError } from './errors.ts';
import { JwsFormatError, parseCompactJws, verifyJwsSignature } from './jws.ts';
import type { FetchLike, JwksSource } from './jwks.ts';

export interface RevokedToken {
  readonly jti: string;
  readonly exp: number;
}
export interface RevokedClient {
  readonly client_id: string;
  readonly tenant?: string;
  readonly revokedAt: number;
}
export interface RevokedTenant {
  readonly tenant: string;
  readonly revokedAt: number;
}

export interface RevocationBundle {
  readonly iss: string;
  readonly sequence: number;
  readonly issuedAt: number;
  readonly jtis: readonly RevokedToken[];
  readonly clients: readonly RevokedClient[];
  readonly tenants: readonly RevokedTenant[];
}

/** The claims revocation looks at (a subset of `AccessTokenClaims`). */
export interface RevocableClaims {
  readonly jti: string;
  readonly client_id: string;
  readonly tid?: string;
  readonly iat: number;
}

/** What the access-token verifier consults. */
export interface RevocationChecker {
  /** Throws `revocations_stale` when the data is too old to rely on. */
  assertFresh(): void;
  isRevoked(claims: RevocableClaims): boolean;
}

function bad(detail: string): AuthError {
  return new AuthError('invalid_revocation_bundle', { detail });
}

function exactKeys(value: unknown, required: string[], optional: string[] = []): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    required.every((k) => keys.includes(k)) &&
    keys.every((k) => required.includes(k) || optional.includes(k))
  );
}

const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 256;

function parseBundle(payload: unknown): RevocationBundle {
  const top = ['iss', 'sequence', 'issuedAt', 'jtis', 'clients', 'tenants'];
  if (!exactKeys(payload, top)) throw bad('bundle members');
  const p = payload as Record<string, unknown>;
  if (typeof p['iss'] !== 'string' || !isTime(p['sequence']) || !isTime(p['issuedAt'])) {
    throw bad('bundle header fields');
  }
  const list = (name: string, ok: (e: Record<string, unknown>) => boolean) => {
    const value = p[name];
    if (!Array.isArray(value) || !value.every((e) => ok(e as Record<string, unknown>))) {
      throw bad(`bundle ${name}`);
    }
    return value as unknown[];
  };
  const jtis = list(
    'jtis',
    (e) => exactKeys(e, ['jti', 'exp']) && isText(e['jti']) && isTime(e['exp']),
  );
  const clients = list(
    'clients',
    (e) =>
      exactKeys(e, ['client_id', 'revokedAt'], ['tenant']) &&
      isText(e['client_id']) &&
      isTime(e['revokedAt']) &&
      (e['tenant'] === undefined || isText(e['tenant'])),
  );
  const tenants = list(
    'tenants',
    (e) => exactKeys(e, ['tenant', 'revokedAt']) && isText(e['tenant']) && isTime(e['revokedAt']),
  );
  return {
    iss: p['iss'],
    sequence: p['sequence'],
    issuedAt: p['issuedAt'],
    jtis: jtis as RevokedToken[],
    clients: clients as RevokedClient[],
    tenants: tenants as RevokedTenant[],
  };
}

export interface VerifyRevocationBundleOptions {
  readonly issuer: string;
  /** The highest sequence already accepted; a lower one is a rollback and refused. */
  readonly minSequence: number;
  readonly maxBytes?: number;
}

/** Verifies the signed bundle (attacker-controlled until the signature checks). */
export async function verifyRevocationBundle(
  jws: string,
  jwks: JwksSource,
  options: VerifyRevocationBundleOptions,
): Promise<RevocationBundle> {
  let parsed;
  try {
    parsed = parseCompactJws(jws, options.maxBytes ?? 4 * 1024 * 1024);
  } catch (error) {
    throw bad(`malformed: ${error instanceof JwsFormatError ? error.message : 'parse'}`);
  }
  const { header } = parsed;
  if (header['typ'] !== 'stella-revocations+jwt') throw bad('typ');
  const kid = header['kid'];
  if (typeof kid !== 'string') throw bad('kid');
  const key = await jwks.getKey(kid);
  if (key === undefined || header['alg'] !== key.alg) throw bad('unknown kid or alg');
  if (!verifyJwsSignature(key.alg, key.key, parsed.signingInput, parsed.signature)) {
    throw bad('signature');
  }
  const bundle = parseBundle(parsed.payload);
  if (bundle.iss !== options.issuer) throw bad('iss');
  if (bundle.sequence < options.minSequence) throw bad('sequence went backwards');
  return bundle;
}

/** An in-memory index of a verified bundle. `iat <= revokedAt` counts as revoked (fail closed). */
export function indexRevocations(bundle: RevocationBundle): (claims: RevocableClaims) => boolean {
  const jtis = new Set(bundle.jtis.map((e) => e.jti));
  const clients = new Map<string, RevokedClient[]>();
  for (const entry of bundle.clients) {
    clients.set(entry.client_id, [...(clients.get(entry.client_id) ?? []), entry]);
  }
  const tenants = new Map(bundle.tenants.map((e) => [e.tenant, e.revokedAt]));
  return (claims) => {
    if (jtis.has(claims.jti)) return true;
    const forClient = clients.get(claims.client_id) ?? [];
    if (
      forClient.some(
        (e) => (e.tenant === undefined || e.tenant === claims.tid) && claims.iat <= e.revokedAt,
      )
    ) {
      return true;
    }
    const tenantRevokedAt = claims.tid === undefined ? undefined : tenants.get(claims.tid);
    return tenantRevokedAt !== undefined && claims.iat <= tenantRevokedAt;
  };
}

export interface RevocationPollerOptions {
  readonly url: string;
  readonly fetch: FetchLike;
  readonly jwks: JwksSource;
  readonly issuer: string;
  readonly clock: Clock;
  readonly intervalMs?: number;
  /** After this long without a successful refresh, `assertFresh` throws (default 120 s). */
  readonly maxStalenessMs?: number;
}

export interface RevocationPoller extends RevocationChecker {
  /** Fetches and verifies once; rejects on failure (the old data stays in force until stale). */
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
  readonly sequence: number | undefined;
}

export function createRevocationPoller(options: RevocationPollerOptions): RevocationPoller {
  const maxStaleness = options.maxStalenessMs ?? 120_000;
  let sequence: number | undefined;
  let refreshedAt: number | undefined;
  let isRevoked: ((claims: RevocableClaims) => boolean) | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function refresh(): Promise<void> {
    const response = await options.fetch(options.url, {
      signal: AbortSignal.timeout(10_000),
      headers: { accept: 'application/jwt' },
    });
    if (response.status !== 200) throw bad(`status ${response.status}`);
    const bundle = await verifyRevocationBundle((await response.text()).trim(), options.jwks, {
      issuer: options.issuer,
      minSequence: sequence ?? 0,
    });
    sequence = bundle.sequence;
    isRevoked = indexRevocations(bundle);
    refreshedAt = options.clock.now();
  }

  return {
    refresh,
    get sequence() {
      return sequence;
    },
    start() {
      if (timer !== undefined) return;
      refresh().catch(() => undefined);
      timer = setInterval(() => {
        refresh().catch(() => undefined); // staleness is reported by assertFresh
      }, options.intervalMs ?? 15_000);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    assertFresh() {
      if (refreshedAt === undefined || options.clock.now() - refreshedAt > maxStaleness) {
        throw new AuthError('revocations_stale', { detail: `sequence ${sequence ?? 'none'}` });
      }
    },
    isRevoked(claims) {
      if (isRevoked === undefined) throw new AuthError('revocations_stale', { detail: 'none' });
      return isRevoked(claims);
    },
  };
}
