/**
 * `AuditSink` on the SQL port: a per-tenant hash chain (`hash = SHA-256(prevHash ‖ JCS(event))`,
 * PLATFORM.md §7) with GROUP COMMIT. Appends arriving while a batch is being written queue up
 * and go together in the next transaction, in append order; each `append()` resolves only after
 * the transaction holding its row has committed.
 *
 * Replica safety: the batch transaction takes `pg_advisory_xact_lock(hashtext('audit:'||tenant))`
 * before reading the chain head, so two sinks (two replicas) extend one chain, never fork it; the
 * (tenant, seq) primary key is the backstop.
 */
import { AUDIT_GENESIS, auditChainHash, systemClock } from '@stella/core';
import type { AuditEvent, AuditSink, Clock, SqlDatabase, SqlQueryable } from '@stella/core';
import { prepareAuditEvent } from './prepare-audit-event.ts';
import type { PreparedAuditEvent } from './prepare-audit-event.ts';

export interface SqlAuditSinkOptions {
  readonly db: SqlDatabase;
  readonly clock?: Clock;
  /** Most events written in one transaction. Default 256. */
  readonly maxBatch?: number;
}

interface Pending extends PreparedAuditEvent {
  resolve(): void;
  reject(error: unknown): void;
}

export function createSqlAuditSink(options: SqlAuditSinkOptions): AuditSink {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const maxBatch = options.maxBatch ?? 256;
  const queues = new Map<string, Pending[]>();
  const flushing = new Set<string>();

  async function drain(tenant: string): Promise<void> {
    try {
      for (
        let queue = queues.get(tenant);
        queue !== undefined && queue.length > 0;
        queue = queues.get(tenant)
      ) {
        const batch = queue.splice(0, maxBatch);
        try {
          await db.withTenant(tenant, (tx) => writeBatch(tx, tenant, batch));
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
      queues.delete(tenant);
    } finally {
      flushing.delete(tenant);
    }
  }

  return {
    append(input: AuditEvent): Promise<void> {
      let prepared: PreparedAuditEvent;
      try {
        prepared = prepareAuditEvent(input, clock);
      } catch (error) {
        return Promise.reject(error);
      }
      const tenant = prepared.event.tenant;
      return new Promise<void>((resolve, reject) => {
        const queue = queues.get(tenant) ?? [];
        queues.set(tenant, queue);
        queue.push({ ...prepared, resolve, reject });
        // One drainer per tenant: later appends join the queue it is already draining. Starting
        // it on the next microtask lets a burst of same-tick appends share the first commit.
        if (!flushing.has(tenant)) {
          flushing.add(tenant);
          queueMicrotask(() => void drain(tenant));
        }
      });
    },
  };
}

async function writeBatch(
  tx: SqlQueryable,
  tenant: string,
  batch: readonly Pending[],
): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('audit:' || $1))", [tenant]);
  const head = await tx.query<{ seq: string; hash: string }>(
    'SELECT seq::text AS seq, hash FROM audit_events WHERE tenant = $1 ORDER BY audit_events.seq DESC LIMIT 1',
    [tenant],
  );
  let seq = Number(head.rows[0]?.seq ?? 0);
  let prevHash = head.rows[0]?.hash ?? AUDIT_GENESIS;
  const values: string[] = [];
  const params: unknown[] = [];
  for (const p of batch) {
    seq += 1;
    const hash = auditChainHash(prevHash, p.event);
    const base = params.length;
    values.push(
      `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7})`,
    );
    params.push(tenant, seq, p.event.occurredAt, p.event.type, hash, prevHash, p.canonical);
    prevHash = hash;
  }
  await tx.query(
    `INSERT INTO audit_events (tenant, seq, occurred_at, type, hash, prev_hash, event) VALUES ${values.join(', ')}`,
    params,
  );
}
