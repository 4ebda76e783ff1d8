/**
 * The authenticated caller a resource server acts for, and the pure authorization guards that
 * run after authentication (PLATFORM.md §4: tenant resolution, then scope check).
 */
import { AuthError } from './errors.ts';
import type { ChallengeScheme } from './errors.ts';
import type { Confirmation } from './access-token.ts';

export interface Principal {
  /** The token's `tid`; absent for tokens issued without a tenant. */
  readonly tenant?: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly audience: string;
  readonly cnf: Confirmation;
  /** The access token's `jti` (for audit and the identity envelope; never the token itself). */
  readonly tokenId: string;
  /** Set only for clients registered as a platform service (token `service_identity`). */
  readonly serviceIdentity?: string;
}

function schemeOf(principal: Principal): ChallengeScheme {
  return principal.cnf.jkt === undefined ? 'Bearer' : 'DPoP';
}

/** RFC 6750 §3.1 `insufficient_scope`, naming the scopes the route needs in `scope`. */
export function requireScopes(principal: Principal, scopes: readonly string[]): void {
  const missing = scopes.filter((s) => !principal.scopes.includes(s));
  if (missing.length > 0) {
    throw new AuthError('insufficient_scope', {
      detail: `missing ${missing.join(' ')}`,
      extra: { scope: [...scopes].sort().join(' ') },
      scheme: schemeOf(principal),
    });
  }
}

/**
 * The request's tenant: the token's `tid` (PLATFORM.md §4). A differing `X-StellaOps-Tenant`
 * header is `tenant_mismatch`; no tenant in the token is `tenant_required`. Never a default.
 */
export function requireTenant(principal: Principal, headerTenant?: string): string {
  const scheme = schemeOf(principal);
  if (principal.tenant === undefined) {
    throw new AuthError('tenant_required', { detail: 'token has no tid', scheme });
  }
  if (headerTenant !== undefined && headerTenant !== principal.tenant) {
    throw new AuthError('tenant_mismatch', { detail: 'header tenant differs from tid', scheme });
  }
  return principal.tenant;
}
