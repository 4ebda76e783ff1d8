/**
 * The route table (PLATFORM.md §4 "Route table"): only declared routes exist; everything else is
 * 404. A route names its match (host, path, methods), the upstream it proxies to and what the
 * caller must prove (audience, scopes, tenant, DPoP nonce), plus hygiene limits (body cap,
 * content types) and rate limits. `parseRouteTable` validates config input strictly (unknown keys
 * refuse to start) and refuses any `/internal/*` path: the admin API is never routed.
 */
import { gatewayDefaults } from './defaults.ts';
import type { RateWindow } from './defaults.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface RouteRateLimits {
  /** Requests per window per authenticated client (`client_id`). */
  readonly perClient?: RateWindow;
  /** Requests per window per tenant (`tid`). */
  readonly perTenant?: RateWindow;
}

export interface RouteDefinition {
  /** Stable name used in logs, metrics and audit events. */
  readonly name: string;
  /** Exact `Host` (lowercase, no port) this route answers for; any allowed host when absent. */
  readonly host?: string;
  /** Absolute path. With `prefix`, it matches this path and everything below it. */
  readonly path: string;
  /** true: `path` is a prefix ending in `/` (also matching `path` without the slash). */
  readonly prefix: boolean;
  readonly methods: readonly HttpMethod[];
  /** Name of an entry in the gateway's `upstreams`. */
  readonly upstream: string;
  /**
   * `public`: forwarded without authentication (the Authority authenticates its own endpoints,
   * public keys). `token`: an access token for `audience` is verified here (RFC 9068 / 9449).
   */
  readonly auth: 'public' | 'token';
  /** Required token audience (`aud`), also the identity envelope's `aud`. */
  readonly audience: string;
  /** Every one of these scopes must be in the token (least privilege, PLATFORM.md §2). */
  readonly scopes: readonly string[];
  /** Refuse tokens without `tid` (403 `tenant_required`). */
  readonly tenantRequired: boolean;
  /** Demand a server-issued DPoP nonce (RFC 9449 §9). */
  readonly nonceRequired: boolean;
  /** Maximum request body in bytes (413 `body_too_large`), on Content-Length and while streaming. */
  readonly bodyCapBytes: number;
  /** Media types (no parameters, lowercase) allowed for a request body; empty: no body allowed. */
  readonly contentTypes: readonly string[];
  /** Forward a verified client certificate upstream as RFC 9440 `Client-Cert`. */
  readonly forwardClientCert: boolean;
  readonly rateLimits?: RouteRateLimits;
}

const ROUTE_KEYS = new Set([
  'name',
  'host',
  'path',
  'prefix',
  'methods',
  'upstream',
  'auth',
  'audience',
  'scopes',
  'tenantRequired',
  'nonceRequired',
  'bodyCapBytes',
  'contentTypes',
  'forwardClientCert',
  'rateLimits',
]);
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;
const TOKEN = /^[a-z0-9][a-z0-9._+-]*$/;
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;
const SCOPE = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/;
const HOST = /^[a-z0-9.-]+$/;

function fail(index: number, message: string): never {
  throw new TypeError(`invalid route #${index}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseWindow(i: number, value: unknown, what: string): RateWindow {
  if (!isRecord(value)) fail(i, `${what} must be an object`);
  for (const key of Object.keys(value)) {
    if (key !== 'limit' && key !== 'windowMs') fail(i, `${what}: unknown key ${key}`);
  }
  const { limit, windowMs } = value;
  if (!Number.isSafeInteger(limit) || (limit as number) < 1) fail(i, `${what}.limit`);
  if (!Number.isSafeInteger(windowMs) || (windowMs as number) < 1000) fail(i, `${what}.windowMs`);
  return Object.freeze({ limit: limit as number, windowMs: windowMs as number });
}

function stringList(i: number, value: unknown, what: string, pattern: RegExp): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !pattern.test(v))) {
    fail(i, `${what} must be a list of valid values`);
  }
  return [...new Set(value as string[])].sort();
}

/** `/internal`, `/internal/…` in any letter case: the admin API is never routed (PLATFORM.md §2). */
export function isInternalPath(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === '/internal' || lower.startsWith('/internal/');
}

/** Validates one route from configuration; throws `TypeError` (a config mistake) when invalid. */
export function parseRoute(input: unknown, i: number): RouteDefinition {
  if (!isRecord(input)) fail(i, 'must be an object');
  for (const key of Object.keys(input)) if (!ROUTE_KEYS.has(key)) fail(i, `unknown key ${key}`);
  const { name, host, path, prefix, upstream, auth, audience } = input;
  if (typeof name !== 'string' || !TOKEN.test(name)) fail(i, 'name');
  if (host !== undefined && (typeof host !== 'string' || !HOST.test(host))) fail(i, 'host');
  if (typeof path !== 'string' || !PATH.test(path) || path.includes('//')) fail(i, 'path');
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) fail(i, 'path has dot segments');
  if (isInternalPath(path)) fail(i, '/internal/* can never be routed');
  const isPrefix = prefix ?? false;
  if (typeof isPrefix !== 'boolean') fail(i, 'prefix');
  if (isPrefix && !path.endsWith('/')) fail(i, 'a prefix path must end with /');
  const methods = stringList(i, input['methods'], 'methods', /^[A-Z]+$/);
  if (methods.length === 0 || methods.some((m) => !(HTTP_METHODS as readonly string[]).includes(m)))
    fail(i, 'methods');
  if (typeof upstream !== 'string' || !TOKEN.test(upstream)) fail(i, 'upstream');
  if (auth !== 'public' && auth !== 'token') fail(i, 'auth must be "public" or "token"');
  if (typeof audience !== 'string' || !TOKEN.test(audience)) fail(i, 'audience');
  const scopes = stringList(i, input['scopes'] ?? [], 'scopes', SCOPE);
  const tenantRequired = input['tenantRequired'] ?? auth === 'token';
  const nonceRequired = input['nonceRequired'] ?? false;
  const forwardClientCert = input['forwardClientCert'] ?? true;
  for (const [k, v] of Object.entries({ tenantRequired, nonceRequired, forwardClientCert })) {
    if (typeof v !== 'boolean') fail(i, `${k} must be a boolean`);
  }
  if (auth === 'public' && (scopes.length > 0 || tenantRequired === true || nonceRequired === true))
    fail(i, 'a public route cannot require scopes, a tenant or a nonce');
  if (auth === 'token' && scopes.length === 0) fail(i, 'a token route must require a scope');
  const bodyCapBytes = input['bodyCapBytes'] ?? gatewayDefaults.bodyCapBytes;
  if (!Number.isSafeInteger(bodyCapBytes) || (bodyCapBytes as number) < 0) fail(i, 'bodyCapBytes');
  const contentTypes = stringList(i, input['contentTypes'] ?? [], 'contentTypes', MEDIA_TYPE);
  let rateLimits: RouteRateLimits | undefined;
  if (input['rateLimits'] !== undefined) {
    const rl = input['rateLimits'];
    if (!isRecord(rl)) fail(i, 'rateLimits');
    for (const key of Object.keys(rl)) {
      if (key !== 'perClient' && key !== 'perTenant') fail(i, `rateLimits: unknown key ${key}`);
    }
    rateLimits = Object.freeze({
      ...(rl['perClient'] === undefined
        ? {}
        : { perClient: parseWindow(i, rl['perClient'], 'perClient') }),
      ...(rl['perTenant'] === undefined
        ? {}
        : { perTenant: parseWindow(i, rl['perTenant'], 'perTenant') }),
    });
  }
  return Object.freeze({
    name,
    ...(host === undefined ? {} : { host }),
    path,
    prefix: isPrefix,
    methods: Object.freeze(methods as HttpMethod[]),
    upstream,
    auth,
    audience,
    scopes: Object.freeze(scopes),
    tenantRequired: tenantRequired as boolean,
    nonceRequired: nonceRequired as boolean,
    bodyCapBytes: bodyCapBytes as number,
    contentTypes: Object.freeze(contentTypes),
    forwardClientCert: forwardClientCert as boolean,
    ...(rateLimits === undefined ? {} : { rateLimits }),
  });
}

/** Validates a whole table: unique names, every upstream known. */
export function parseRouteTable(
  input: unknown,
  upstreamNames: readonly string[],
): readonly RouteDefinition[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new TypeError('routes must be a non-empty list');
  }
  const routes = input.map((r, i) => parseRoute(r, i));
  const names = new Set<string>();
  routes.forEach((r, i) => {
    if (names.has(r.name)) fail(i, `duplicate name ${r.name}`);
    names.add(r.name);
    if (!upstreamNames.includes(r.upstream)) fail(i, `unknown upstream ${r.upstream}`);
  });
  return Object.freeze(routes);
}
