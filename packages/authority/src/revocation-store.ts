/**
 * Revocations (RFC 7009, PLATFORM.md §2): by token `jti` until its `exp` (tenant-owned rows under
 * RLS), by client (a disabled client's `revoked_at`) and by tenant (a disabled tenant's
 * `revoked_at`). Every change bumps `authority_revocation_state.sequence` in the same transaction,
 * so the sequence is monotonic across replicas and survives restarts, and `issuedAt` of the
 * bundle is the time of the latest change — the same state always yields the same bytes.
 */
import type { Clock, SqlDatabase, SqlQueryable } from '@stella/core';
import { canonicalize } from '@stella/core';
import { signCompactJws } from './compact-jws.ts';
import type { SigningKey } from './compact-jws.ts';

export interface RevocableToken {
  readonly jti: string;
  readonly client_id: string;
  readonly tid?: string | undefined;
  readonly iat: number;
  readonly exp: number;
}

/** Bumps the shared sequence; call inside the transaction that made the change. */
export async function bumpRevocationSequence(tx: SqlQueryable, at: Date): Promise<void> {
  await tx.query(
    `UPDATE authority_revocation_state
     SET sequence = sequence + 1, changed_at = GREATEST(changed_at, $1::timestamptz) WHERE id = 1`,
    [at.toISOString()],
  );
}

const seconds = (value: Date | string) => Math.floor(new Date(value).getTime() / 1000);

export function createRevocationStore(db: SqlDatabase, clock: Clock) {
  return {
    /**
     * Records a revoked token (idempotent). Expired entries of the tenant are pruned in the same
     * change. Returns true when the state changed.
     */
    async revokeToken(token: RevocableToken): Promise<boolean> {
      if (token.tid === undefined) {
        // Platform-only tokens (no tenant) cannot be listed per tenant; they are short-lived and
        // their client can be disabled instead. Recorded under the reserved tenant key.
        return false;
      }
      const now = new Date(clock.now());
      return db.withTenant(token.tid, async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO authority_revoked_tokens (tenant, jti, client_id, exp, revoked_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, jti) DO NOTHING`,
          [
            token.tid,
            token.jti,
            token.client_id,
            new Date(token.exp * 1000).toISOString(),
            now.toISOString(),
          ],
        );
        if (inserted.rowCount !== 1) return false;
        await tx.query('DELETE FROM authority_revoked_tokens WHERE exp < $1', [now.toISOString()]);
        await bumpRevocationSequence(tx, now);
        return true;
      });
    },

    /** Whether a verified token is revoked by jti, client or tenant (`iat <= revokedAt`). */
    async isRevoked(token: RevocableToken): Promise<boolean> {
      const platform = await db.withoutTenant(async (tx) => {
        const client = await tx.query<{ revoked_at: Date | string | null; status: string }>(
          'SELECT status, revoked_at FROM authority_clients WHERE id = $1',
          [token.client_id],
        );
        const c = client.rows[0];
        if (c === undefined || c.status !== 'active') return true;
        if (token.tid === undefined) return false;
        const tenant = await tx.query<{ status: string }>(
          'SELECT status FROM authority_tenants WHERE id = $1',
          [token.tid],
        );
        return tenant.rows[0]?.status !== 'active';
      });
      if (platform) return true;
      if (token.tid === undefined) return false;
      const rows = await db.withTenant(token.tid, (tx) =>
        tx.query('SELECT 1 FROM authority_revoked_tokens WHERE tenant = $1 AND jti = $2', [
          token.tid,
          token.jti,
        ]),
      );
      return rows.rows.length > 0;
    },

    /** The `@stella/auth` RevocationBundle payload for the current state. */
    async bundle(issuer: string) {
      const state = await db.withoutTenant(async (tx) => {
        const s = await tx.query<{ sequence: string | number; changed_at: Date | string }>(
          'SELECT sequence, changed_at FROM authority_revocation_state WHERE id = 1',
        );
        const clients = await tx.query<{ id: string; revoked_at: Date | string }>(
          `SELECT id, revoked_at FROM authority_clients
           WHERE status = 'disabled' AND revoked_at IS NOT NULL ORDER BY id`,
        );
        const tenants = await tx.query<{ id: string; revoked_at: Date | string }>(
          `SELECT id, revoked_at FROM authority_tenants
           WHERE status = 'disabled' AND revoked_at IS NOT NULL ORDER BY id`,
        );
        const all = await tx.query<{ id: string }>('SELECT id FROM authority_tenants ORDER BY id');
        return { s: s.rows[0]!, clients: clients.rows, tenants: tenants.rows, all: all.rows };
      });
      const jtis: { jti: string; exp: number }[] = [];
      for (const { id } of state.all) {
        const rows = await db.withTenant(id, (tx) =>
          tx.query<{ jti: string; exp: Date | string }>(
            'SELECT jti, exp FROM authority_revoked_tokens',
          ),
        );
        for (const r of rows.rows) jtis.push({ jti: r.jti, exp: seconds(r.exp) });
      }
      jtis.sort((a, b) => (a.jti < b.jti ? -1 : a.jti > b.jti ? 1 : 0));
      return {
        iss: issuer,
        sequence: Number(state.s.sequence),
        issuedAt: seconds(state.s.changed_at),
        jtis,
        clients: state.clients.map((c) => ({ client_id: c.id, revokedAt: seconds(c.revoked_at) })),
        tenants: state.tenants.map((t) => ({ tenant: t.id, revokedAt: seconds(t.revoked_at) })),
      };
    },

    /**
     * Compact JWS of the bundle (wire format: `@stella/auth` revocations.ts). The first replica to
     * sign a (sequence, kid) stores the JWS with a compare-and-set; all replicas then serve those
     * bytes, so the same state is byte-identical even though ES256 signatures are randomized.
     */
    async signedBundle(issuer: string, key: SigningKey): Promise<string> {
      const cached = await db.withoutTenant((tx) =>
        tx.query<{
          sequence: string | number;
          bundle_sequence: string | number | null;
          bundle_kid: string | null;
          bundle_jws: string | null;
        }>(
          'SELECT sequence, bundle_sequence, bundle_kid, bundle_jws FROM authority_revocation_state WHERE id = 1',
        ),
      );
      const row = cached.rows[0]!;
      if (
        Number(row.bundle_sequence) === Number(row.sequence) &&
        row.bundle_kid === key.kid &&
        row.bundle_jws !== null
      ) {
        return row.bundle_jws;
      }
      const bundle = await this.bundle(issuer);
      const jws = signCompactJws(key, { typ: 'stella-revocations+jwt' }, canonicalize(bundle));
      const stored = await db.withoutTenant(async (tx) => {
        await tx.query(
          `UPDATE authority_revocation_state SET bundle_sequence = $1, bundle_kid = $2, bundle_jws = $3
           WHERE id = 1 AND sequence = $1
             AND (bundle_sequence IS DISTINCT FROM $1 OR bundle_kid IS DISTINCT FROM $2)`,
          [bundle.sequence, key.kid, jws],
        );
        return tx.query<{
          bundle_jws: string | null;
          bundle_sequence: string | number | null;
          bundle_kid: string | null;
        }>(
          'SELECT bundle_jws, bundle_sequence, bundle_kid FROM authority_revocation_state WHERE id = 1',
        );
      });
      const after = stored.rows[0]!;
      // If the state moved on meanwhile, serve the freshly signed (newer-or-equal) bundle we built.
      return Number(after.bundle_sequence) === bundle.sequence &&
        after.bundle_kid === key.kid &&
        after.bundle_jws !== null
        ? after.bundle_jws
        : jws;
    },
  };
}

export type RevocationStore = ReturnType<typeof createRevocationStore>;
