/**
 * Tenants and clients: the platform tables of `migrations.ts`, read and written only through
 * `SqlDatabase.withoutTenant` (they carry no tenant column). Input from the admin API is validated
 * here so the database never holds a client the token endpoint could not reason about.
 */
import type { SqlDatabase, SqlQueryable } from '@stella/core';
import { authorityError } from './errors.ts';
import { isScope } from './scopes.ts';
import { bumpRevocationSequence } from './revocation-store.ts';

/** Service identities whose clients serve every tenant (PLATFORM.md §5: the signer). */
export const TENANT_WIDE_SERVICE_IDENTITIES: readonly string[] = ['signer'];
export type ClientAuthMethod = 'private_key_jwt' | 'tls_client_auth' | 'client_secret_basic';

export interface ClientRecord {
  readonly id: string;
  /** Tenants the client may obtain tokens for; empty for platform-only (admin) clients. */
  readonly tenants: readonly string[];
  readonly allowedScopes: readonly string[];
  readonly allowedAudiences: readonly string[];
  readonly authMethod: ClientAuthMethod;
  /** `private_key_jwt`: the client's public JWK Set (RFC 7517 §5). */
  readonly jwks: { keys: Record<string, unknown>[] } | undefined;
  /** `tls_client_auth`: PEM trust roots the client certificate must chain to (RFC 8705 §2.1). */
  readonly trustRoots: readonly string[] | undefined;
  /** `client_secret_basic`: scrypt hash (see `client-auth/client-secret.ts`). */
  readonly secretHash: string | undefined;
  /** RFC 9449 §5.2 client metadata; default true: tokens must be DPoP-bound. */
  readonly dpopBoundAccessTokens: boolean;
  readonly serviceIdentity: string | undefined;
  readonly status: 'active' | 'disabled';
  readonly createdAt: string;
}

export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

interface ClientRow {
  id: string;
  tenants: string[];
  allowed_scopes: string[];
  allowed_audiences: string[];
  auth_method: ClientAuthMethod;
  jwks: { keys: Record<string, unknown>[] } | null;
  trust_roots: string[] | null;
  secret_hash: string | null;
  dpop_bound_access_tokens: boolean;
  service_identity: string | null;
  status: 'active' | 'disabled';
  created_at: Date | string;
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    tenants: row.tenants,
    allowedScopes: row.allowed_scopes,
    allowedAudiences: row.allowed_audiences,
    authMethod: row.auth_method,
    jwks: row.jwks ?? undefined,
    trustRoots: row.trust_roots ?? undefined,
    secretHash: row.secret_hash ?? undefined,
    dpopBoundAccessTokens: row.dpop_bound_access_tokens,
    serviceIdentity: row.service_identity ?? undefined,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export interface NewClient {
  readonly id: string;
  readonly tenants: readonly string[];
  readonly allowedScopes: readonly string[];
  readonly allowedAudiences: readonly string[];
  readonly authMethod: ClientAuthMethod;
  readonly jwks?: { keys: Record<string, unknown>[] };
  readonly trustRoots?: readonly string[];
  readonly secretHash?: string;
  readonly dpopBoundAccessTokens?: boolean;
  readonly serviceIdentity?: string;
}

export interface TenantRecord {
  readonly id: string;
  readonly status: 'active' | 'disabled';
  readonly createdAt: string;
}

function bad(description: string): never {
  throw authorityError('invalid_request', { description });
}

export function validateNewClient(client: NewClient, audiences: readonly string[]): void {
  if (!CLIENT_ID.test(client.id)) bad('invalid client id');
  if (client.tenants.some((t) => !TENANT_ID.test(t))) bad('invalid tenant id');
  if (client.allowedScopes.length === 0 || client.allowedScopes.some((s) => !isScope(s))) {
    bad('scopes must be non-empty and from the scope catalogue');
  }
  if (client.allowedAudiences.some((a) => !audiences.includes(a))) bad('unknown audience');
  if (client.serviceIdentity !== undefined && !SERVICE_NAME.test(client.serviceIdentity)) {
    bad('invalid service identity');
  }
  const material = [client.jwks, client.trustRoots, client.secretHash].filter(
    (m) => m !== undefined,
  );
  if (material.length !== 1) bad('exactly one of jwks, trust roots or secret is required');
  const expected = {
    private_key_jwt: client.jwks,
    tls_client_auth: client.trustRoots,
    client_secret_basic: client.secretHash,
  }[client.authMethod];
  if (expected === undefined) bad('credential does not match the auth method');
}

const columns = `id, tenants, allowed_scopes, allowed_audiences, auth_method, jwks, trust_roots,
  secret_hash, dpop_bound_access_tokens, service_identity, status, created_at`;

export function createClientRegistry(db: SqlDatabase) {
  async function findClient(tx: SqlQueryable, id: string): Promise<ClientRecord | undefined> {
    const result = await tx.query<ClientRow>(
      `SELECT ${columns} FROM authority_clients WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  return {
    /** Active client by id, or undefined (unknown and disabled look the same to callers). */
    async getActiveClient(id: string): Promise<ClientRecord | undefined> {
      if (!CLIENT_ID.test(id)) return undefined;
      const client = await db.withoutTenant((tx) => findClient(tx, id));
      return client?.status === 'active' ? client : undefined;
    },
    async getClient(id: string): Promise<ClientRecord | undefined> {
      if (!CLIENT_ID.test(id)) return undefined;
      return db.withoutTenant((tx) => findClient(tx, id));
    },
    async listClients(): Promise<ClientRecord[]> {
      const result = await db.withoutTenant((tx) =>
        tx.query<ClientRow>(`SELECT ${columns} FROM authority_clients ORDER BY id`),
      );
      return result.rows.map(toRecord);
    },
    /** Inserts a client whose tenants all exist and are active; refuses duplicates. */
    async addClient(client: NewClient, now: Date): Promise<ClientRecord> {
      return db.withoutTenant(async (tx) => {
        if (client.tenants.length > 0) {
          const found = await tx.query<{ id: string }>(
            `SELECT id FROM authority_tenants WHERE id = ANY($1) AND status = 'active'`,
            [[...client.tenants]],
          );
          if (found.rows.length !== new Set(client.tenants).size) bad('unknown tenant');
        }
        const inserted = await tx.query<ClientRow>(
          `INSERT INTO authority_clients (id, tenants, allowed_scopes, allowed_audiences,
             auth_method, jwks, trust_roots, secret_hash, dpop_bound_access_tokens,
             service_identity, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11)
           ON CONFLICT (id) DO NOTHING
           RETURNING ${columns}`,
          [
            client.id,
            [...new Set(client.tenants)].sort(),
            [...new Set(client.allowedScopes)].sort(),
            [...new Set(client.allowedAudiences)].sort(),
            client.authMethod,
            client.jwks === undefined ? null : JSON.stringify(client.jwks),
            client.trustRoots === undefined ? null : [...client.trustRoots],
            client.secretHash ?? null,
            client.dpopBoundAccessTokens ?? true,
            client.serviceIdentity ?? null,
            now.toISOString(),
          ],
        );
        const row = inserted.rows[0];
        if (row === undefined) throw authorityError('conflict', { detail: 'client exists' });
        return toRecord(row);
      });
    },
    /**
     * Disables a client (a revocation: bumps the bundle sequence); false when not active.
     * `revokedAt` (default `now`) may lie ahead by the client-cache bound (`client-cache.ts`).
     */
    async disableClient(id: string, now: Date, revokedAt: Date = now): Promise<boolean> {
      return db.withoutTenant(async (tx) => {
        const result = await tx.query(
          `UPDATE authority_clients SET status = 'disabled', revoked_at = $2
           WHERE id = $1 AND status = 'active'`,
          [id, revokedAt.toISOString()],
        );
        if (result.rowCount !== 1) return false;
        await bumpRevocationSequence(tx, now);
        return true;
      });
    },
    /**
     * Disables a tenant: a revocation of every token issued for it (`tenants` list of the bundle,
     * introspection `active:false`); bumps the bundle sequence. False when not active.
     */
    async disableTenant(id: string, now: Date, revokedAt: Date = now): Promise<boolean> {
      if (!TENANT_ID.test(id)) return false;
      return db.withoutTenant(async (tx) => {
        const result = await tx.query(
          `UPDATE authority_tenants SET status = 'disabled', revoked_at = $2
           WHERE id = $1 AND status = 'active'`,
          [id, revokedAt.toISOString()],
        );
        if (result.rowCount !== 1) return false;
        await bumpRevocationSequence(tx, now);
        return true;
      });
    },
    async addTenant(id: string, now: Date): Promise<TenantRecord> {
      if (!TENANT_ID.test(id)) bad('invalid tenant id');
      const result = await db.withoutTenant(async (tx) => {
        const inserted = await tx.query<{
          id: string;
          status: 'active';
          created_at: Date | string;
        }>(
          `INSERT INTO authority_tenants (id, status, created_at) VALUES ($1, 'active', $2)
           ON CONFLICT (id) DO NOTHING RETURNING id, status, created_at`,
          [id, now.toISOString()],
        );
        if (inserted.rows.length > 0) {
          // Platform services that act for every tenant (the signer appends each tenant's log
          // entries and reads its evidence) gain the new tenant in the same transaction, so a
          // tenant is never half-provisioned.
          await tx.query(
            `UPDATE authority_clients SET tenants = array_append(tenants, $1)
             WHERE service_identity = ANY($2::text[]) AND NOT ($1 = ANY(tenants))`,
            [id, [...TENANT_WIDE_SERVICE_IDENTITIES]],
          );
        }
        return inserted;
      });
      const row = result.rows[0];
      if (row === undefined) throw authorityError('conflict', { detail: 'tenant exists' });
      return { id: row.id, status: row.status, createdAt: new Date(row.created_at).toISOString() };
    },
    async listTenants(): Promise<TenantRecord[]> {
      const result = await db.withoutTenant((tx) =>
        tx.query<{ id: string; status: 'active' | 'disabled'; created_at: Date | string }>(
          'SELECT id, status, created_at FROM authority_tenants ORDER BY id',
        ),
      );
      return result.rows.map((r) => ({
        id: r.id,
        status: r.status,
        createdAt: new Date(r.created_at).toISOString(),
      }));
    },
    async isTenantActive(id: string): Promise<boolean> {
      const result = await db.withoutTenant((tx) =>
        tx.query(`SELECT 1 FROM authority_tenants WHERE id = $1 AND status = 'active'`, [id]),
      );
      return result.rows.length === 1;
    },
  };
}

export type ClientRegistry = ReturnType<typeof createClientRegistry>;
