/**
 * The `/token` steps, in order (CONVENTIONS.md "Requests run through ordered, named steps"):
 * parseRequest → authenticateClient → limitClient → checkDpop → resolveTenant → resolveAudience
 * → checkScopes → issue → audit. There is deliberately no per-token persist step: introspection
 * verifies the JWT and consults revocations, so issuing writes nothing but the audit event.
 */
import type { Clock, IdGenerator, AuditSink } from '@stella/core';
import { isStellaError } from '@stella/core';
import { verifyDpopProofOffThread } from '@stella/auth';
import type { KeyCache, NonceIssuer, ReplayCache } from '@stella/auth';
import type { AuthorityConfig } from '../defaults.ts';
import { authorityError } from '../errors.ts';
import { optionalParam, requiredParam } from '../form-body.ts';
import type { ClientAuthenticator } from '../client-auth/authenticate-client.ts';
import type { ClientRegistry } from '../client-registry.ts';
import { decideScopes, needsTenant, parseScopeParam } from '../scopes.ts';
import type { RateLimiter } from '../rate-limit.ts';
import { rateLimitedError } from '../rate-limit.ts';
import type { SigningKeyStore } from '../signing-keys.ts';
import { issueAccessToken } from './access-token.ts';
import type { TokenStep } from './token-context.ts';

export interface TokenStepDeps {
  readonly config: AuthorityConfig;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly clients: ClientRegistry;
  readonly authenticateClient: ClientAuthenticator;
  readonly rateLimit: RateLimiter;
  readonly nonces: NonceIssuer;
  readonly replay: ReplayCache;
  readonly keys: SigningKeyStore;
  readonly audit: AuditSink;
  /** The token endpoint URL (issuer + `/token`): the DPoP `htu` (never the Host header). */
  readonly tokenEndpoint: string;
  /** Imported DPoP proof keys by thumbprint (key import costs as much as a verify). */
  readonly dpopKeyCache: KeyCache;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TypeError(`token step order: ${what} missing`);
  return value;
}

export function createTokenSteps(deps: TokenStepDeps): TokenStep[] {
  const { config } = deps;
  return [
    {
      name: 'parseRequest',
      run(ctx) {
        const grantType = requiredParam(ctx.input.params, 'grant_type');
        if (grantType !== 'client_credentials') {
          throw authorityError('unsupported_grant_type', { detail: 'grant_type' });
        }
        const audience = optionalParam(ctx.input.params, 'audience');
        const resource = optionalParam(ctx.input.params, 'resource');
        if (audience !== undefined && resource !== undefined) {
          throw authorityError('invalid_request', {
            description: 'use either audience or resource, not both',
          });
        }
        ctx.requestedAudience = audience ?? resource;
        const scope = optionalParam(ctx.input.params, 'scope');
        ctx.requestedScopes = scope === undefined ? undefined : parseScopeParam(scope);
        ctx.requestedTenant = optionalParam(ctx.input.params, 'tenant');
      },
    },
    {
      name: 'authenticateClient',
      async run(ctx) {
        ctx.client = await deps.authenticateClient({
          params: ctx.input.params,
          authorization: ctx.input.authorization,
          clientCertificate: ctx.input.clientCertificate,
        });
      },
    },
    {
      name: 'limitClient',
      async run(ctx) {
        const client = need(ctx.client, 'client').client;
        const decision = await deps.rateLimit('token-client', client.id, config.tokenClientLimit);
        if (!decision.allowed) throw rateLimitedError('token-client', decision.retryAfterSeconds);
      },
    },
    {
      name: 'checkDpop',
      async run(ctx) {
        const { client, x5tS256 } = need(ctx.client, 'client');
        if (ctx.input.dpopProofs.length === 0) {
          if (client.dpopBoundAccessTokens) {
            // RFC 9449 §5.2 `dpop_bound_access_tokens`: a proof is mandatory for this client.
            throw authorityError('invalid_dpop_proof', {
              description: 'a DPoP proof is required for this client',
              detail: 'dpop: proof missing for dpop_bound_access_tokens client',
            });
          }
          if (x5tS256 === undefined) {
            throw authorityError('invalid_request', {
              description: 'a sender constraint (DPoP or mutual TLS) is required',
            });
          }
          ctx.cnf = { 'x5t#S256': x5tS256 };
          return;
        }
        const nonceRequired =
          ctx.requestedAudience !== undefined &&
          config.requireNonceAudiences.includes(ctx.requestedAudience);
        let proof;
        try {
          proof = await verifyDpopProofOffThread({
            proofs: ctx.input.dpopProofs,
            method: 'POST',
            url: deps.tokenEndpoint,
            clock: deps.clock,
            iatSkewSeconds: config.dpopIatWindowSeconds,
            nonce: { required: nonceRequired, isValid: (n) => deps.nonces.isValid(n) },
            keyCache: deps.dpopKeyCache,
          });
        } catch (error) {
          if (
            isStellaError(error) &&
            (error.code === 'use_dpop_nonce' || error.code === 'invalid_dpop_proof')
          ) {
            throw authorityError(error.code, { detail: `dpop: ${error.detail ?? error.code}` });
          }
          throw error;
        }
        // RFC 9449 §11.1: each (jti, htu) once within the acceptance window, on every replica.
        if (!(await deps.replay.checkAndRemember(proof.jti, proof.htu))) {
          throw authorityError('invalid_dpop_proof', { detail: 'dpop: proof replayed' });
        }
        // A DPoP proof wins over the TLS certificate: one binding per token, never both.
        ctx.cnf = { jkt: proof.jkt };
      },
    },
    {
      name: 'resolveTenant',
      async run(ctx) {
        const { client } = need(ctx.client, 'client');
        const requested = ctx.requestedTenant;
        if (requested !== undefined) {
          if (!client.tenants.includes(requested)) {
            throw authorityError('invalid_request', {
              description: 'the tenant is not allowed for this client',
              detail: 'tenant: not in client tenants',
            });
          }
          ctx.tenant = requested;
        } else if (client.tenants.length === 1) {
          ctx.tenant = client.tenants[0];
        } else if (client.tenants.length > 1) {
          throw authorityError('invalid_request', {
            description: 'ambiguous tenant: the tenant parameter is required',
          });
        }
        if (ctx.tenant !== undefined && !(await deps.clients.isTenantActive(ctx.tenant))) {
          throw authorityError('invalid_request', {
            description: 'the tenant is not allowed for this client',
            detail: 'tenant: disabled or unknown',
          });
        }
      },
    },
    {
      name: 'resolveAudience',
      run(ctx) {
        const { client } = need(ctx.client, 'client');
        const requested =
          ctx.requestedAudience ??
          (client.allowedAudiences.length === 1 ? client.allowedAudiences[0] : undefined);
        if (requested === undefined) {
          throw authorityError('invalid_target', {
            description: 'exactly one audience is required',
          });
        }
        // PLATFORM.md §2: exactly one known audience; multi-valued and wildcard never match.
        if (!config.audiences.includes(requested) || !client.allowedAudiences.includes(requested)) {
          throw authorityError('invalid_target', { detail: 'audience not allowed' });
        }
        ctx.audience = requested;
      },
    },
    {
      name: 'checkScopes',
      run(ctx) {
        const { client } = need(ctx.client, 'client');
        const scopes = decideScopes(client, ctx.requestedScopes);
        if (needsTenant(scopes) && ctx.tenant === undefined) {
          throw authorityError('invalid_scope', {
            description: 'tenant-scoped scopes require a tenant',
          });
        }
        const authorityScopes = scopes.filter((s) => s.startsWith('authority:'));
        if (authorityScopes.length > 0 && ctx.audience !== 'authority') {
          throw authorityError('invalid_scope', {
            description: 'authority scopes require the authority audience',
          });
        }
        ctx.scopes = scopes;
      },
    },
    {
      name: 'issue',
      async run(ctx) {
        const { client } = need(ctx.client, 'client');
        ctx.token = await issueAccessToken(
          {
            issuer: config.issuer,
            installationId: config.installationId,
            clientId: client.id,
            audience: need(ctx.audience, 'audience'),
            scopes: need(ctx.scopes, 'scopes'),
            tenant: ctx.tenant,
            cnf: need(ctx.cnf, 'cnf'),
            serviceIdentity: client.serviceIdentity,
            lifetimeSeconds: config.accessTokenLifetimeSeconds,
          },
          await deps.keys.activeKey(),
          deps.clock,
          deps.ids,
        );
      },
    },
    {
      name: 'audit',
      async run(ctx) {
        const { client } = need(ctx.client, 'client');
        const token = need(ctx.token, 'token');
        const cnf = need(ctx.cnf, 'cnf');
        await deps.audit.append({
          type: 'authority.token.issued',
          correlationId: ctx.input.correlationId,
          outcome: 'success',
          tenant: ctx.tenant ?? '_platform',
          actor: { clientId: client.id, subject: client.id },
          scopes: [...need(ctx.scopes, 'scopes')],
          network: { address: ctx.input.address },
          properties: {
            jti: token.jti,
            aud: need(ctx.audience, 'audience'),
            exp: token.exp,
            binding: 'jkt' in cnf ? 'dpop' : 'mtls',
            authMethod: client.authMethod,
          },
        });
      },
    },
  ];
}
