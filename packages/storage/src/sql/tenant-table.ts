/**
 * SQL conventions for tenant-owned tables (PLATFORM.md §7), as a helper service migrations call:
 *
 *   { id: 'attestor/0001-entries', sql: tenantTable('tlog_entries', 'seq bigint NOT NULL, …',
 *       { appendOnly: true }) }
 *
 * The generated DDL:
 * - prepends `tenant text NOT NULL` with a CHECK on the tenant-id format (so '' — the
 *   `withoutTenant` setting — can never be a row's tenant);
 * - ENABLEs and FORCEs row-level security (FORCE: the table owner is filtered too);
 * - one policy for every command: USING and WITH CHECK on `current_setting('stella.tenant', true)`
 *   (missing_ok: an unset setting is NULL, which matches no row);
 * - GRANTs the application role SELECT, INSERT (plus UPDATE, DELETE unless append-only) — tables
 *   get no default privileges (base-migrations.ts);
 * - for append-only tables, triggers running `stella_refuse_mutation()` before UPDATE, DELETE
 *   and TRUNCATE, which refuse even the owner.
 *
 * `columnsSql` is trusted migration text, never request data.
 */
import { DEFAULT_APP_ROLE, assertRoleName } from './app-role.ts';

export interface TenantTableOptions {
  /** Refuse UPDATE, DELETE and TRUNCATE with triggers (audit, tlog, evidence index). */
  readonly appendOnly?: boolean;
  /** Role to GRANT to; must match the adapter's `appRole`. Default `stella_app`. */
  readonly appRole?: string;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export function tenantTable(
  name: string,
  columnsSql: string,
  options: TenantTableOptions = {},
): string {
  if (!TABLE_NAME.test(name)) throw new TypeError('table name must be a lowercase SQL identifier');
  const role = assertRoleName(options.appRole ?? DEFAULT_APP_ROLE);
  const appendOnly = options.appendOnly === true;
  const tenantMatches = "tenant = current_setting('stella.tenant', true)";
  const statements = [
    `CREATE TABLE ${name} (
  tenant text NOT NULL CONSTRAINT ${name}_tenant_format
    CHECK (tenant ~ '^([a-z0-9][a-z0-9-]{0,62}|_platform)$'),
  ${columnsSql.trim()}
)`,
    `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY ${name}_tenant_isolation ON ${name} USING (${tenantMatches}) WITH CHECK (${tenantMatches})`,
    `GRANT ${appendOnly ? 'SELECT, INSERT' : 'SELECT, INSERT, UPDATE, DELETE'} ON ${name} TO ${role}`,
  ];
  if (appendOnly) {
    statements.push(
      `CREATE TRIGGER ${name}_append_only BEFORE UPDATE OR DELETE ON ${name} FOR EACH ROW EXECUTE FUNCTION stella_refuse_mutation()`,
      `CREATE TRIGGER ${name}_no_truncate BEFORE TRUNCATE ON ${name} FOR EACH STATEMENT EXECUTE FUNCTION stella_refuse_mutation()`,
    );
  }
  return `${statements.join(';\n')};\n`;
}
