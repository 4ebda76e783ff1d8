/**
 * The admin API (`/internal/*`): tenants add/list, clients add/list/disable, signing keys
 * rotate/list. Every route runs `authenticateAdmin` (mTLS + certificate-bound `authority:admin`
 * token), the 5/min per-client limit, and audits every change as a `_platform` event.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink, Clock } from '@stella/core';
import type { AuthorityConfig } from '../defaults.ts';
import { authorityError } from '../errors.ts';
import type { ClientRecord, ClientRegistry, NewClient } from '../client-registry.ts';
import { validateNewClient } from '../client-registry.ts';
import { correlationIdOf } from '../http-support.ts';
import type { RateLimiter } from '../rate-limit.ts';
import { rateLimitedError } from '../rate-limit.ts';
import type { SigningKeyStore } from '../signing-keys.ts';
import type { LocalTokenVerifier } from '../token/local-token-verifier.ts';
import { authenticateAdmin } from './admin-auth.ts';

export interface AdminRouteDeps {
  readonly config: AuthorityConfig;
  readonly clock: Clock;
  readonly clients: ClientRegistry;
  readonly keys: SigningKeyStore;
  readonly verifier: LocalTokenVerifier;
  readonly rateLimit: RateLimiter;
  readonly audit: AuditSink;
}

/** The public view of a client: never the secret hash. */
export function clientView(client: ClientRecord) {
  return {
    id: client.id,
    tenants: client.tenants,
    scopes: client.allowedScopes,
    audiences: client.allowedAudiences,
    authMethod: client.authMethod,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens,
    serviceIdentity: client.serviceIdentity ?? null,
    status: client.status,
    createdAt: client.createdAt,
  };
}

function bad(description: string): never {
  throw authorityError('invalid_request', { description });
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((e) => typeof e === 'string');

/** Validates the attacker-controlled JSON body of `POST /internal/clients`. */
export function parseNewClient(body: unknown): NewClient {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    bad('body must be an object');
  const b = body as Record<string, unknown>;
  const allowed = [
    'id',
    'tenants',
    'scopes',
    'audiences',
    'jwks',
    'trustRoots',
    'secretHash',
    'serviceIdentity',
    'dpopBoundAccessTokens',
  ];
  for (const key of Object.keys(b)) if (!allowed.includes(key)) bad(`unknown member ${key}`);
  if (typeof b['id'] !== 'string') bad('id is required');
  if (!isStringList(b['tenants']) || !isStringList(b['scopes']))
    bad('tenants and scopes are lists');
  const audiences = b['audiences'] ?? [];
  if (!isStringList(audiences)) bad('audiences is a list');
  const jwks = b['jwks'];
  const trustRoots = b['trustRoots'];
  const secretHash = b['secretHash'];
  if (
    jwks !== undefined &&
    (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))
  )
    bad('jwks must be a JWK Set');
  if (trustRoots !== undefined && !isStringList(trustRoots)) bad('trustRoots is a list of PEM');
  if (secretHash !== undefined && typeof secretHash !== 'string') bad('secretHash is a string');
  const dpop = b['dpopBoundAccessTokens'];
  if (dpop !== undefined && typeof dpop !== 'boolean') bad('dpopBoundAccessTokens is a boolean');
  const service = b['serviceIdentity'];
  if (service !== undefined && typeof service !== 'string') bad('serviceIdentity is a string');
  const authMethod =
    jwks !== undefined
      ? 'private_key_jwt'
      : trustRoots !== undefined
        ? 'tls_client_auth'
        : 'client_secret_basic';
  return {
    id: b['id'],
    tenants: b['tenants'],
    allowedScopes: b['scopes'],
    allowedAudiences: audiences,
    authMethod,
    ...(jwks === undefined ? {} : { jwks: jwks as { keys: Record<string, unknown>[] } }),
    ...(trustRoots === undefined ? {} : { trustRoots }),
    ...(secretHash === undefined ? {} : { secretHash }),
    ...(dpop === undefined ? {} : { dpopBoundAccessTokens: dpop }),
    ...(service === undefined ? {} : { serviceIdentity: service }),
  };
}

/** Audits an admin action as a `_platform` event (ids only, never credentials). */
function recordAdminEvent(
  deps: AdminRouteDeps,
  request: FastifyRequest,
  clientId: string,
  type: string,
  outcome: 'success' | 'rate_limited',
  properties: Record<string, string | number | boolean | null>,
) {
  return deps.audit.append({
    type,
    correlationId: correlationIdOf(request),
    outcome,
    ...(outcome === 'rate_limited' ? { reason: 'rate_limited' } : {}),
    tenant: '_platform',
    actor: { clientId, subject: clientId },
    network: { address: request.ip },
    properties,
  });
}

export type AdminGuard = (request: FastifyRequest) => Promise<string>;

/** `authenticateAdmin` + the per-admin-client limit; resolves to the admin client id. */
export function createAdminGuard(deps: AdminRouteDeps): AdminGuard {
  return async function admin(request) {
    const claims = await authenticateAdmin(request, deps.verifier);
    const decision = await deps.rateLimit('admin', claims.client_id, deps.config.adminClientLimit);
    if (!decision.allowed) {
      await recordAdminEvent(
        deps,
        request,
        claims.client_id,
        'authority.admin.rate_limited',
        'rate_limited',
        {},
      );
      throw rateLimitedError('admin', decision.retryAfterSeconds);
    }
    return claims.client_id;
  };
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): AdminGuard {
  const admin = createAdminGuard(deps);
  const record = (
    ...args: Parameters<typeof recordAdminEvent> extends [unknown, ...infer R] ? R : never
  ) => recordAdminEvent(deps, ...args);

  const now = () => new Date(deps.clock.now());

  app.get('/internal/tenants', async (request) => {
    await admin(request);
    return { tenants: await deps.clients.listTenants() };
  });

  app.post('/internal/tenants', async (request, reply) => {
    const actor = await admin(request);
    const body = request.body as { tenant?: unknown } | undefined;
    if (typeof body?.tenant !== 'string') bad('tenant is required');
    const tenant = await deps.clients.addTenant(body.tenant, now());
    await record(request, actor, 'authority.tenant.added', 'success', { tenant: tenant.id });
    return reply.code(201).send({ tenant });
  });

  app.post<{ Params: { id: string } }>('/internal/tenants/:id/disable', async (request) => {
    const actor = await admin(request);
    if (!(await deps.clients.disableTenant(request.params.id, now()))) {
      throw authorityError('not_found', { detail: 'tenant not active' });
    }
    await record(request, actor, 'authority.tenant.disabled', 'success', {
      tenant: request.params.id,
    });
    const tenants = await deps.clients.listTenants();
    return { tenant: tenants.find((t) => t.id === request.params.id) };
  });

  app.get('/internal/clients', async (request) => {
    await admin(request);
    return { clients: (await deps.clients.listClients()).map(clientView) };
  });

  app.post('/internal/clients', async (request, reply) => {
    const actor = await admin(request);
    const client = parseNewClient(request.body);
    validateNewClient(client, deps.config.audiences);
    const created = await deps.clients.addClient(client, now());
    await record(request, actor, 'authority.client.added', 'success', {
      client: created.id,
      authMethod: created.authMethod,
    });
    return reply.code(201).send({ client: clientView(created) });
  });

  app.post<{ Params: { id: string } }>('/internal/clients/:id/disable', async (request) => {
    const actor = await admin(request);
    if (!(await deps.clients.disableClient(request.params.id, now()))) {
      throw authorityError('not_found', { detail: 'client not active' });
    }
    await record(request, actor, 'authority.client.disabled', 'success', {
      client: request.params.id,
    });
    const client = await deps.clients.getClient(request.params.id);
    return { client: clientView(client!) };
  });

  app.get('/internal/keys', async (request) => {
    await admin(request);
    return { keys: await deps.keys.list() };
  });

  app.post('/internal/keys/rotate', async (request) => {
    const actor = await admin(request);
    const kid = await deps.keys.rotate();
    await record(request, actor, 'authority.key.rotated', 'success', { kid });
    return { kid, keys: await deps.keys.list() };
  });
  return admin;
}
