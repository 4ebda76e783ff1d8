/**
 * Export of one tenant's audit chain, in `seq` order, as records `verifyAuditChain` (core)
 * checks offline. Runs under the tenant's RLS scope like every other read. The stored event
 * text is parsed strictly (it is re-hashed by the verifier, so a tampered row is caught there).
 */
import { AUDIT_GENESIS, parseJsonStrict } from '@stella/core';
import type { AuditChainRecord, AuditEvent, SqlDatabase, SqlQueryable } from '@stella/core';

export interface ReadAuditEventsOptions {
  /** Only records with `seq` greater than this. */
  readonly sinceSeq?: number;
  /** Only records that occurred at or after this RFC 3339 instant. */
  readonly since?: string;
  /** At most this many records (1..10 000). */
  readonly limit: number;
}

const MAX_LIMIT = 10_000;

export async function readAuditEvents(
  db: SqlDatabase,
  tenant: string,
  options: ReadAuditEventsOptions,
): Promise<AuditChainRecord[]> {
  if (!Number.isSafeInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIMIT) {
    throw new TypeError(`limit must be an integer in 1..${MAX_LIMIT}`);
  }
  if (
    options.sinceSeq !== undefined &&
    (!Number.isSafeInteger(options.sinceSeq) || options.sinceSeq < 0)
  ) {
    throw new TypeError('sinceSeq must be a non-negative integer');
  }
  if (options.since !== undefined && !Number.isFinite(Date.parse(options.since))) {
    throw new TypeError('since must be an RFC 3339 timestamp');
  }
  const rows = await db.withTenant(tenant, (tx) =>
    tx.query<{ seq: string; hash: string; prev_hash: string; event: string }>(
      `SELECT seq::text AS seq, hash, prev_hash, event FROM audit_events
        WHERE tenant = $1 AND seq > $2 AND ($3::timestamptz IS NULL OR occurred_at >= $3::timestamptz)
        ORDER BY audit_events.seq LIMIT $4`,
      [tenant, options.sinceSeq ?? 0, options.since ?? null, options.limit],
    ),
  );
  return rows.rows.map((r) => ({
    seq: Number(r.seq),
    hash: r.hash,
    prevHash: r.prev_hash,
    event: parseJsonStrict(r.event) as unknown as AuditEvent,
  }));
}

/**
 * The newest record of a tenant's chain (`seq` 0 and the genesis hash for an empty chain), inside
 * the caller's tenant transaction: the audit sink reads it under its lock.
 */
export async function selectAuditHead(
  tx: SqlQueryable,
  tenant: string,
): Promise<{ seq: number; hash: string }> {
  // Order by the bigint column, never by the text alias ('9' sorts after '10').
  const { rows } = await tx.query<{ seq: string; hash: string }>(
    `SELECT seq::text AS seq, hash FROM audit_events WHERE tenant = $1
      ORDER BY audit_events.seq DESC LIMIT 1`,
    [tenant],
  );
  const row = rows[0];
  return row === undefined
    ? { seq: 0, hash: AUDIT_GENESIS }
    : { seq: Number(row.seq), hash: row.hash };
}

/** The newest record of a tenant's chain, in its own tenant transaction. */
export function readAuditHead(
  db: SqlDatabase,
  tenant: string,
): Promise<{ seq: number; hash: string }> {
  return db.withTenant(tenant, (tx) => selectAuditHead(tx, tenant));
}
