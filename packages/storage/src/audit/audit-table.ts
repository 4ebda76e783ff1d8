/**
 * The audit chain table (PLATFORM.md §7), part of storage's base migrations so every service's
 * sink writes to the same per-tenant chain. `event` holds the RFC 8785 text exactly as hashed
 * (text, not jsonb: jsonb would reorder keys and the stored bytes would no longer be the hashed
 * bytes). Append-only: no UPDATE/DELETE grant, and triggers refuse them even for the owner.
 */
import type { Migration } from '@stella/core';
import { tenantTable } from '../sql/tenant-table.ts';

export function auditTableMigration(appRole: string): Migration {
  return {
    id: 'storage/0003-audit-events',
    sql: tenantTable(
      'audit_events',
      `seq bigint NOT NULL CHECK (seq >= 1),
  occurred_at timestamptz NOT NULL,
  type text NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  event text NOT NULL,
  PRIMARY KEY (tenant, seq)`,
      { appendOnly: true, appRole },
    ),
  };
}
