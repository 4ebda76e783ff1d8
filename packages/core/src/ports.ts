/**
 * Ports: the small interfaces services depend on (CONVENTIONS.md "Small ports named for their
 * role"). Types only — adapters live in `@stella/storage` (SQL, KV, object store, audit) and
 * `@stella/runtime` (logger). Keeping the types here lets `auth` use a KV port without
 * depending on `storage`.
 */

// ---------------------------------------------------------------- key-value (Valkey / memory)

export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  /**
   * Atomically stores `value` under `key` with a TTL unless the key exists. Returns true for
   * exactly one of any number of concurrent callers (replay caches depend on this).
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomically increments a counter; the first increment creates it with `ttlMs`. Returns the new
   * count and the milliseconds until the counter expires (for `Retry-After`).
   */
  incrWithTtl(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- SQL (PostgreSQL / PGlite)

export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

/** One parameterised statement (bound parameters, never inlined). */
export interface SqlStatement {
  readonly text: string;
  readonly params?: readonly unknown[];
}

export interface SqlQueryable {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<R>>;
}

/**
 * A forward-only, checksummed migration. `id` is `<component>/<nnnn>-<name>` (e.g.
 * `authority/0001-clients`); migrations apply in the order given and a changed applied migration
 * refuses to start.
 */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

export interface SqlDatabase {
  /** Which adapter this is, for logs and `stella doctor`. */
  readonly kind: 'postgres' | 'pglite';
  /**
   * true when this adapter runs at most one transaction at a time across every user of the
   * database (PGlite: one connection behind a FIFO mutex, one process per data directory), so
   * writers are already mutually exclusive and cross-transaction locks can be skipped. Absent or
   * false (PostgreSQL pools, replicas): callers must lock.
   */
  readonly exclusiveTransactions?: boolean;
  /**
   * Runs `fn` in one transaction as the application role (NOSUPERUSER NOBYPASSRLS) with
   * `stella.tenant` set to `tenant` for this transaction only. Row-level security limits every
   * tenant-owned table to that tenant.
   */
  withTenant<T>(tenant: string, fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction as the application role with no tenant set: tenant-owned tables
   * show no rows; only platform tables (tenants, clients, keys) are usable.
   */
  withoutTenant<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * Optional fast path: statements that need no reads between them, in ONE transaction with the
   * same role, tenant scope and RLS as `withTenant`, in as few engine hops as the adapter can
   * (PGlite in a worker thread: one message instead of one per statement plus BEGIN and COMMIT).
   * All or nothing; errors as from `withTenant`. Callers fall back to `withTenant` without it.
   */
  runInTenant?(
    tenant: string,
    statements: readonly SqlStatement[],
  ): Promise<SqlResult<Record<string, unknown>>[]>;
  /** Applies pending migrations under an advisory lock (safe with several replicas). */
  migrate(migrations: readonly Migration[]): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- object store (CAS)

export interface PutResult {
  /** `sha256:<64 lowercase hex>` */
  digest: string;
  size: number;
  /** false when identical bytes were already stored (write-once: never overwritten). */
  created: boolean;
}

export interface ObjectStore {
  put(bytes: Uint8Array): Promise<PutResult>;
  /**
   * Streams bytes to a temporary object, hashing as they arrive; refuses beyond `maxBytes` and,
   * when `expectedDigest` is given, stores nothing unless the digest matches.
   */
  putStream(
    source: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; expectedDigest?: string },
  ): Promise<PutResult>;
  /** The bytes, verified against the digest on every read; `undefined` when absent. */
  get(digest: string): Promise<Uint8Array | undefined>;
  has(digest: string): Promise<boolean>;
}

// ---------------------------------------------------------------- logging

export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

// ---------------------------------------------------------------- audit (PLATFORM.md §7)

export type AuditOutcome = 'success' | 'failure' | 'rate_limited' | 'error';

/** One audit event. Never a token, secret or proof value — only ids and digests. */
export interface AuditEvent {
  /** `<service>.<surface>.<action>`, e.g. `authority.token.issued`. */
  type: string;
  /** RFC 3339 UTC. Filled by the sink from its clock when omitted. */
  occurredAt?: string;
  correlationId: string;
  outcome: AuditOutcome;
  /** Stable error code or step name when not a success. */
  reason?: string;
  /** Tenant the event belongs to; platform-level events use the reserved tenant `_platform`. */
  tenant: string;
  actor?: { clientId?: string; subject?: string };
  scopes?: string[];
  network?: { address?: string };
  properties?: Record<string, string | number | boolean | null>;
}

export interface AuditSink {
  /** Appends the event to the tenant's hash chain; resolves once it is durably committed. */
  append(event: AuditEvent): Promise<void>;
}
