/**
 * The scope catalogue and issuance rules of PLATFORM.md §2. Scopes are `<area>:<verb>`; the
 * granted set is the requested set (or, when none is requested, the client's whole allow-list),
 * restricted to what the client may hold, sorted and unique (RFC 6749 §3.3).
 */
import { authorityError } from './errors.ts';

export const scopeCatalogue = Object.freeze([
  'attestor:read',
  'attestor:verify',
  'attestor:write',
  'audit:read',
  'authority:admin',
  'authority:introspect',
  'evidence:read',
  'evidence:write',
  'signer:sign',
] as const);

export type Scope = (typeof scopeCatalogue)[number];

const known: ReadonlySet<string> = new Set(scopeCatalogue);

export function isScope(value: string): value is Scope {
  return known.has(value);
}

/** Scopes that act inside one tenant's data and so are never issued without a tenant. */
export const tenantScopedScopes: ReadonlySet<Scope> = new Set<Scope>([
  'attestor:read',
  'attestor:verify',
  'attestor:write',
  'audit:read',
  'evidence:read',
  'evidence:write',
  'signer:sign',
]);

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_LIST = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/** Parses the attacker-controlled `scope` parameter into a sorted unique list. */
export function parseScopeParam(value: string): string[] {
  if (!SCOPE_LIST.test(value)) {
    throw authorityError('invalid_scope', { detail: 'scope: malformed list' });
  }
  return [...new Set(value.split(' '))].sort();
}

export interface ScopeClient {
  readonly allowedScopes: readonly string[];
  readonly serviceIdentity: string | undefined;
}

/**
 * Decides the granted scopes. Unknown scope → `invalid_scope`; a scope outside the allow-list →
 * `invalid_scope`; `attestor:write` requires `service_identity = signer`; `authority:admin` is
 * never combined with service scopes (PLATFORM.md §2).
 */
export function decideScopes(client: ScopeClient, requested: readonly string[] | undefined) {
  const wanted = requested ?? [...client.allowedScopes].sort();
  if (wanted.length === 0) throw authorityError('invalid_scope', { detail: 'scope: empty' });
  for (const scope of wanted) {
    if (!isScope(scope)) throw authorityError('invalid_scope', { detail: 'scope: unknown' });
    if (!client.allowedScopes.includes(scope)) {
      throw authorityError('invalid_scope', { detail: `scope: ${scope} not allowed for client` });
    }
  }
  if (wanted.includes('attestor:write') && client.serviceIdentity !== 'signer') {
    throw authorityError('invalid_scope', {
      description: 'attestor:write requires the signer service identity',
      detail: 'scope: attestor:write without service_identity=signer',
    });
  }
  if (wanted.includes('authority:admin') && wanted.length > 1) {
    throw authorityError('invalid_scope', {
      description: 'authority:admin cannot be combined with other scopes',
      detail: 'scope: admin combined',
    });
  }
  return [...wanted].sort() as Scope[];
}

/** Scopes that need a tenant, so a token request without one must name one. */
export function needsTenant(scopes: readonly Scope[]): boolean {
  return scopes.some((s) => tenantScopedScopes.has(s));
}
