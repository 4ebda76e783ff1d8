/**
 * `AuditSink` on the SQL port: a per-tenant hash chain (`hash = SHA-256(prevHash ‖ JCS(event))`,
 * PLATFORM.md §7) with GROUP COMMIT. Appends arriving while a batch is being written queue up
 * and go together in the next transaction, in append order; each `append()` resolves only after
 * the transaction holding its row has committed.
 *
 * Replica safety: the batch transaction takes `pg_advisory_xact_lock(hashtext('audit:'||tenant))`
 * (unless the adapter declares `exclusiveTransactions`) before reading the chain head, so two sinks (two replicas) extend one chain, never fork it; the
 * (tenant, seq) primary key is the backstop. After its own commit a sink remembers the head it
 * wrote and the next batch skips the head read (still under the lock): rows are append-only (trigger),
 * so a remembered head can only be stale, never wrong, and a stale one makes the INSERT collide
 * on (tenant, seq) — SQLSTATE 23505 — whereupon the batch is retried once, reading the head.
 */
import { auditChainHashOfCanonical, systemClock } from '@stella/core';
import type {
  AuditEvent,
  AuditSink,
  Clock,
  SqlDatabase,
  SqlQueryable,
  SqlStatement,
} from '@stella/core';
import { prepareAuditEvent } from './prepare-audit-event.ts';
import { selectAuditHead } from './read-audit-events.ts';
import type { PreparedAuditEvent } from './prepare-audit-event.ts';

export interface SqlAuditSinkOptions {
  readonly db: SqlDatabase;
  readonly clock?: Clock;
  /** Most events written in one transaction. Default 256. */
  readonly maxBatch?: number;
  /**
   * Extra milliseconds a commit waits for more appends while appends are concurrent (the last
   * commit carried more than one event). Default 1; 0 commits right after the current turn.
   */
  readonly lingerMs?: number;
}

interface Pending extends PreparedAuditEvent {
  resolve(): void;
  reject(error: unknown): void;
}

export function createSqlAuditSink(options: SqlAuditSinkOptions): AuditSink {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const maxBatch = options.maxBatch ?? 256;
  const lingerMs = options.lingerMs ?? 1;
  if (!Number.isFinite(lingerMs) || lingerMs < 0 || lingerMs > 100) {
    throw new TypeError('lingerMs must be between 0 and 100');
  }
  // PGlite-style adapters already serialise every transaction: the advisory lock is a no-op
  // there, and one engine call per commit saved (the capability flag, never the adapter name).
  const lock = db.exclusiveTransactions !== true;
  const lastBatch = new Map<string, number>();
  /** Chain head this sink committed last, per tenant (a hint, verified by the primary key). */
  const heads = new Map<string, ChainHead>();
  const queues = new Map<string, Pending[]>();
  const flushing = new Set<string>();

  /**
   * Waits before a commit so concurrent appends share it: always past the current event-loop
   * turn (setImmediate runs after the I/O poll phase, so every request that reaches its audit
   * step in this turn joins; a microtask start would commit the first append alone), and, while
   * appends are evidently concurrent (this tenant's previous commit carried more than one
   * event), `lingerMs` longer for the requests still on their way.
   */
  function gather(tenant: string): Promise<void> {
    return new Promise((resolve) => {
      if (lingerMs > 0 && (lastBatch.get(tenant) ?? 0) > 1) setTimeout(resolve, lingerMs);
      else setImmediate(resolve);
    });
  }

  async function drain(tenant: string): Promise<void> {
    try {
      for (
        let queue = queues.get(tenant);
        queue !== undefined && queue.length > 0;
        queue = queues.get(tenant)
      ) {
        await gather(tenant);
        // The batch is taken INSIDE the transaction, i.e. once the connection is ours: on a
        // single-connection store (PGlite) the wait for the lock is where appends pile up, and
        // everything queued by then shares this commit instead of waiting for the next one.
        let batch: Pending[] | undefined;
        try {
          const run = (known: ChainHead | undefined): Promise<ChainHead> => {
            // Head known and no lock needed: the batch is one INSERT with nothing to read
            // first, so an adapter with a one-hop transaction (PGlite in a worker) takes it.
            if (known !== undefined && !lock && db.runInTenant !== undefined) {
              batch ??= queue.splice(0, maxBatch);
              lastBatch.set(tenant, batch.length);
              const { statement, head } = insertStatement(tenant, batch, known);
              return db.runInTenant(tenant, [statement]).then(() => head);
            }
            return db.withTenant(tenant, (tx) => {
              batch ??= queue.splice(0, maxBatch);
              lastBatch.set(tenant, batch.length);
              return writeBatch(tx, tenant, batch, known, lock);
            });
          };
          const known = heads.get(tenant);
          heads.delete(tenant);
          let head: ChainHead;
          try {
            head = await run(known);
          } catch (error) {
            // Another replica extended the chain since our last commit: retry, locked.
            if (known === undefined || batch === undefined || !isUniqueViolation(error))
              throw error;
            head = await run(undefined);
          }
          heads.set(tenant, head);
          for (const p of batch ?? []) p.resolve();
        } catch (error) {
          // A transaction that failed before it ran the batch still fails the events it would
          // have carried (fail loud, never spin on a broken store).
          for (const p of batch ?? queue.splice(0, maxBatch)) p.reject(error);
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
        // One drainer per tenant: later appends join the queue it is already draining.
        if (!flushing.has(tenant)) {
          flushing.add(tenant);
          void drain(tenant);
        }
      });
    },
  };
}

interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

function isUniqueViolation(error: unknown): boolean {
  let e: unknown = error;
  // Adapters may wrap the driver error (StellaError `cause`): look one level down too.
  for (let depth = 0; depth < 2 && typeof e === 'object' && e !== null; depth += 1) {
    if ((e as { code?: unknown }).code === '23505') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Every batch takes the advisory lock, remembered head or not: writers stay mutually exclusive,
 * so a head read under the lock is current and the locked retry cannot collide again. Skipped
 * only on an adapter declaring `exclusiveTransactions`, where no other writer can run meanwhile.
 */
async function lockChain(tx: SqlQueryable, tenant: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('audit:' || $1))", [tenant]);
}

/** Appends the batch after `known` (or after the head read under the lock); returns the new head. */
async function writeBatch(
  tx: SqlQueryable,
  tenant: string,
  batch: readonly Pending[],
  known: ChainHead | undefined,
  lock: boolean,
): Promise<ChainHead> {
  if (lock) await lockChain(tx, tenant);
  const start = known ?? (await selectAuditHead(tx, tenant));
  const { statement, head } = insertStatement(tenant, batch, start);
  await tx.query(statement.text, statement.params);
  return head;
}

/** The batch's rows chained after `start`, as one multi-row INSERT, and the head it leaves. */
function insertStatement(
  tenant: string,
  batch: readonly Pending[],
  start: ChainHead,
): { statement: SqlStatement; head: ChainHead } {
  let seq = start.seq;
  let prevHash = start.hash;
  const values: string[] = [];
  const params: unknown[] = [];
  for (const p of batch) {
    seq += 1;
    // The stored canonical text is hashed as is (core's one definition of the chain).
    const hash = auditChainHashOfCanonical(prevHash, p.canonical);
    const base = params.length;
    values.push(
      `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7})`,
    );
    params.push(tenant, seq, p.event.occurredAt, p.event.type, hash, prevHash, p.canonical);
    prevHash = hash;
  }
  return {
    statement: {
      text: `INSERT INTO audit_events (tenant, seq, occurred_at, type, hash, prev_hash, event) VALUES ${values.join(', ')}`,
      params,
    },
    head: { seq, hash: prevHash },
  };
}
