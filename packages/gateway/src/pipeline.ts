/**
 * The gateway's request pipeline as ordered, named steps (PLATFORM.md §4, CONVENTIONS.md
 * "Requests run through ordered, named steps"). Each step reads and fills the request context or
 * throws a coded refusal; `ctx.step` names the step for logs and audit events.
 */
import type { FastifyRequest } from 'fastify';
import type { IdGenerator, KeyValueStore } from '@stella/core';
import type { GatewayAuthenticator } from './auth-port.ts';
import { checkBody } from './body-policy.ts';
import { verifiedPeerCertificate } from './client-cert.ts';
import { resolveCorrelation } from './correlation.ts';
import type { RateWindow } from './defaults.ts';
import { gatewayError } from './errors.ts';
import { countRequest, enforce, tighter } from './rate-limit.ts';
import type { RequestContext } from './request-context.ts';
import { checkHeaders, checkHost, checkRequestTarget } from './request-hygiene.ts';
import type { HeaderLimits } from './request-hygiene.ts';
import { matchRoute } from './route-match.ts';
import type { RouteDefinition } from './routes.ts';
import { clientAddressOf } from './client-address.ts';

export interface PipelineDeps {
  readonly routes: readonly RouteDefinition[];
  readonly allowedHosts: readonly string[];
  readonly kv: KeyValueStore;
  readonly kvPrefix: string;
  readonly authenticator: GatewayAuthenticator;
  readonly ids: IdGenerator;
  readonly headerLimits: HeaderLimits;
  readonly perAddress: RateWindow;
  readonly perClient: RateWindow;
  readonly perTenant: RateWindow;
  readonly failModeAuthenticated: 'open' | 'closed';
  readonly failModePublic: 'open' | 'closed';
}

type Step = (
  request: FastifyRequest,
  ctx: RequestContext,
  deps: PipelineDeps,
) => Promise<void> | void;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// The fields `@stella/auth` reads (direct mode reads the first two; the rest are stripped before
// proxying and kept here so a verifier change cannot silently see an empty header).
const AUTH_HEADERS = new Set(['authorization', 'dpop', 'client-cert', 'x-stellaops-identity']);

// Node keeps only the first of some duplicate fields; rawHeaders keeps all (RFC 9449 §4.3 (1)).
function collectAuthHeaders(raw: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (AUTH_HEADERS.has(name)) (headers[name] ??= []).push(raw[i + 1] as string);
  }
  return headers;
}

const NO_PROXIES: ReadonlySet<string> = new Set();

/** Fresh context with the correlation id resolved (step 1, runs before anything can fail). */
export function createContext(
  request: FastifyRequest,
  ids: IdGenerator,
  trustedProxies: ReadonlySet<string> = NO_PROXIES,
): RequestContext {
  const { correlationId, traceparent } = resolveCorrelation(request.headers, ids);
  return {
    correlationId,
    traceparent,
    address: clientAddressOf(request, trustedProxies),
    target: '',
    host: '',
    route: undefined,
    principal: undefined,
    peerCertificate: undefined,
    rate: undefined,
    addressLimiterDown: false,
    step: 'correlation',
  };
}

const requestHygiene: Step = (request, ctx, deps) => {
  checkHeaders(request.raw.rawHeaders, deps.headerLimits);
  ctx.host = checkHost(header(request, 'host'), deps.allowedHosts);
  const { path, query } = checkRequestTarget(request.raw.url ?? '');
  ctx.target = path + query;
};

const rateLimitAddress: Step = async (_request, ctx, deps) => {
  const outcome = await countRequest(deps.kv, 'addr', ctx.address, deps.perAddress, deps.kvPrefix);
  if (outcome.kind === 'unavailable') ctx.addressLimiterDown = true;
  else ctx.rate = enforce(outcome, 'closed', 'address');
};

const routeMatch: Step = (request, ctx, deps) => {
  const path = ctx.target.split('?', 1)[0] as string;
  const match = matchRoute(deps.routes, ctx.host, request.method, path);
  if (match.kind === 'not_found') throw gatewayError('not_found');
  if (match.kind === 'method_not_allowed') {
    throw gatewayError('method_not_allowed', { extra: { allow: match.allow.join(', ') } });
  }
  const route = match.route;
  ctx.route = route;
  const failMode = route.auth === 'token' ? deps.failModeAuthenticated : deps.failModePublic;
  if (ctx.addressLimiterDown && failMode === 'closed') {
    throw gatewayError('rate_limit_unavailable', { detail: 'address' });
  }
  checkBody(route, {
    contentLength: header(request, 'content-length'),
    transferEncoding: header(request, 'transfer-encoding'),
    contentType: header(request, 'content-type'),
  });
  ctx.peerCertificate = verifiedPeerCertificate(request.raw.socket);
};

const authenticate: Step = async (request, ctx, deps) => {
  const route = ctx.route as RouteDefinition;
  if (route.auth === 'public') return;
  ctx.principal = await deps.authenticator.authenticate({
    audience: route.audience,
    nonceRequired: route.nonceRequired,
    method: request.method,
    url: ctx.target,
    headers: collectAuthHeaders(request.raw.rawHeaders),
    peerCertificate: ctx.peerCertificate?.der,
  });
};

const resolveTenant: Step = (request, ctx) => {
  const route = ctx.route as RouteDefinition;
  const principal = ctx.principal;
  if (principal === undefined) return;
  const asked = request.headers['x-stellaops-tenant'];
  // PLATFORM.md §4: the tenant is the token's `tid`; a header can only agree, never choose.
  if (asked !== undefined && (Array.isArray(asked) || asked !== principal.tenant)) {
    throw gatewayError('tenant_mismatch');
  }
  if (route.tenantRequired && principal.tenant === undefined) throw gatewayError('tenant_required');
};

const checkScopes: Step = (_request, ctx, deps) => {
  const route = ctx.route as RouteDefinition;
  const principal = ctx.principal;
  if (principal === undefined) return;
  const refusal = deps.authenticator.scopeRefusal(route.scopes, principal);
  if (refusal !== undefined) throw refusal;
};

const rateLimitClientAndTenant: Step = async (_request, ctx, deps) => {
  const route = ctx.route as RouteDefinition;
  const principal = ctx.principal;
  if (principal === undefined) return;
  const mode = deps.failModeAuthenticated;
  const perClient = route.rateLimits?.perClient ?? deps.perClient;
  const client = await countRequest(
    deps.kv,
    'client',
    principal.clientId,
    perClient,
    deps.kvPrefix,
  );
  const clientState = enforce(client, mode, 'client');
  if (clientState !== undefined) ctx.rate = tighter(ctx.rate, clientState);
  if (principal.tenant !== undefined) {
    const perTenant = route.rateLimits?.perTenant ?? deps.perTenant;
    const tenant = await countRequest(
      deps.kv,
      'tenant',
      principal.tenant,
      perTenant,
      deps.kvPrefix,
    );
    const tenantState = enforce(tenant, mode, 'tenant');
    if (tenantState !== undefined) ctx.rate = tighter(ctx.rate, tenantState);
  }
};

/** PLATFORM.md §4, in order; identity headers and the proxy hop follow in `proxy-handler.ts`. */
export const pipelineSteps: readonly (readonly [string, Step])[] = [
  ['request-hygiene', requestHygiene],
  ['rate-limit-address', rateLimitAddress],
  ['route-match', routeMatch],
  ['authenticate', authenticate],
  ['resolve-tenant', resolveTenant],
  ['check-scopes', checkScopes],
  ['rate-limit-client-tenant', rateLimitClientAndTenant],
];

export async function runPipeline(
  request: FastifyRequest,
  ctx: RequestContext,
  deps: PipelineDeps,
): Promise<void> {
  for (const [name, step] of pipelineSteps) {
    ctx.step = name;
    // Synchronous steps return undefined: awaiting them would cost a microtask turn each.
    const pending = step(request, ctx, deps);
    if (pending !== undefined) await pending;
  }
  ctx.step = 'proxy';
}
