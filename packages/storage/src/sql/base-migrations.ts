/**
 * Storage's own migrations, applied before any service migration. They set up what the
 * tenant-table conventions (`tenant-table.ts`) rely on:
 *
 * - the application role (NOSUPERUSER NOBYPASSRLS NOLOGIN). Roles are cluster-wide on PostgreSQL,
 *   so an existing role is tolerated (two databases on one cluster may race to create it);
 * - membership of the migrating user in that role, so `SET LOCAL ROLE` works for a non-superuser
 *   owner too;
 * - USAGE on the schema, and default USAGE on sequences so identity columns work. Tables get NO
 *   default privileges: each migration GRANTs exactly what the role needs (`tenantTable` does),
 *   so an append-only table is never accidentally granted UPDATE or DELETE;
 * - `stella_refuse_mutation()`, the trigger function append-only tables use (SQLSTATE SA001);
 * - the shared `audit_events` chain table (audit/audit-table.ts).
 */
import type { Migration } from '@stella/core';
import { auditTableMigration } from '../audit/audit-table.ts';
import { APPEND_ONLY_SQLSTATE } from './sql-errors.ts';

export function baseMigrations(appRole: string): Migration[] {
  return [
    {
      id: 'storage/0001-app-role',
      sql: `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${appRole}') THEN
    BEGIN
      CREATE ROLE ${appRole} NOSUPERUSER NOBYPASSRLS NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database on this cluster created it concurrently
    END;
  END IF;
  IF NOT pg_has_role(current_user, '${appRole}', 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', '${appRole}', current_user);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), '${appRole}');
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I',
    current_schema(), '${appRole}');
END $$;`,
    },
    {
      id: 'storage/0002-refuse-mutation',
      sql: `
CREATE OR REPLACE FUNCTION stella_refuse_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = '${APPEND_ONLY_SQLSTATE}';
END $$;`,
    },
    auditTableMigration(appRole),
  ];
}
