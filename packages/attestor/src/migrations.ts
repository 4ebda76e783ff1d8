import type { Migration } from '@stella/core';

/**
 * The attestor schema (PLATFORM.md §6, §7). Every table is tenant-owned: `tenant NOT NULL`, RLS
 * enabled AND forced (the owner is subject to it too), one policy on `stella.tenant`, and only
 * SELECT + INSERT granted to the application role. All four tables are append-only: the
 * `stella_refuse_mutation()` trigger from storage's base migration refuses UPDATE and DELETE even
 * for a role that somehow holds those privileges.
 */
const APP_ROLE = 'stella_app';

function tenantOwned(table: string): string {
  return `
ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
CREATE POLICY ${table}_tenant ON ${table}
  USING (tenant = current_setting('stella.tenant', true))
  WITH CHECK (tenant = current_setting('stella.tenant', true));
GRANT SELECT, INSERT ON ${table} TO ${APP_ROLE};
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION stella_refuse_mutation();`;
}

export const attestorMigrations: readonly Migration[] = Object.freeze([
  {
    // Evidence index: the bytes live in the object store (content addressed); this row is the
    // tenant's claim on them, so another tenant's digest is invisible (404 like an absent one).
    id: 'attestor/0001-evidence',
    sql: `
CREATE TABLE attestor_evidence (
  tenant text NOT NULL,
  digest text NOT NULL CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
  size bigint NOT NULL CHECK (size >= 0),
  media_type text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, digest)
);${tenantOwned('attestor_evidence')}`,
  },
  {
    // One row per log entry. `idx` is dense per tenant (0, 1, 2, …) because only the sequencer
    // inserts, under the tenant's advisory lock; the primary key makes a fork impossible anyway.
    id: 'attestor/0002-tlog-leaves',
    sql: `
CREATE TABLE attestor_tlog_leaves (
  tenant text NOT NULL,
  idx bigint NOT NULL CHECK (idx >= 0),
  uuid uuid NOT NULL,
  leaf_data bytea NOT NULL,
  leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
  envelope_sha256 text NOT NULL CHECK (envelope_sha256 ~ '^[0-9a-f]{64}$'),
  envelope bytea NOT NULL,
  predicate_type text NOT NULL,
  subject_digests text[] NOT NULL,
  integrated_time bigint NOT NULL,
  PRIMARY KEY (tenant, idx),
  UNIQUE (tenant, uuid),
  UNIQUE (tenant, envelope_sha256)
);
CREATE INDEX attestor_tlog_leaves_subjects ON attestor_tlog_leaves USING gin (subject_digests);${tenantOwned('attestor_tlog_leaves')}`,
  },
  {
    // Hashes of complete subtrees ("stored hashes" in Go's sumdb tlog): (level, idx) covers
    // leaves [idx·2^level, (idx+1)·2^level). Root and proofs read O(log n) of these rows.
    id: 'attestor/0003-tlog-hashes',
    sql: `
CREATE TABLE attestor_tlog_hashes (
  tenant text NOT NULL,
  level smallint NOT NULL CHECK (level >= 0 AND level < 64),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (tenant, level, idx)
);${tenantOwned('attestor_tlog_hashes')}`,
  },
  {
    // Every checkpoint the log published (one per batch): the latest is served to witnesses, and
    // any two are consistent (the consistency test walks them).
    id: 'attestor/0004-tlog-checkpoints',
    sql: `
CREATE TABLE attestor_tlog_checkpoints (
  tenant text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  note text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, size)
);${tenantOwned('attestor_tlog_checkpoints')}`,
  },
]);
