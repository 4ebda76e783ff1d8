/**
 * What every `withTenant` / `withoutTenant` transaction does first, on both adapters
 * (PLATFORM.md §7): drop to the application role for this transaction only (`SET LOCAL ROLE`), so
 * RLS applies even to a superuser connection, then set `stella.tenant` transaction-locally
 * (`set_config(..., true)`), so the setting can never leak to the next borrower of a pooled
 * connection. `withoutTenant` sets it to '' — no tenant-owned row matches.
 */
import type { SqlQueryable, SqlResult } from '@stella/core';

type RawQuery = (
  text: string,
  params?: readonly unknown[],
) => Promise<SqlResult<Record<string, unknown>>>;

export async function enterTenantScope(
  query: RawQuery,
  appRole: string,
  tenant: string,
): Promise<void> {
  // One round trip: `set_config('role', …, true)` is SET LOCAL ROLE (the `role` GUC), and both
  // values go as bound parameters (appRole is also validated as an identifier by assertRoleName).
  await query("SELECT set_config('role', $1, true), set_config('stella.tenant', $2, true)", [
    appRole,
    tenant,
  ]);
}

/**
 * The handle given to callers: queries only (the raw query maps errors), and unusable once
 * the transaction has ended (a leaked handle must not run outside its tenant scope).
 */
export function scopedQueryable(query: RawQuery): { tx: SqlQueryable; end(): void } {
  let open = true;
  const tx: SqlQueryable = {
    async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      if (!open) throw new TypeError('transaction handle used after the transaction ended');
      return (await query(text, params)) as SqlResult<R>;
    },
  };
  return {
    tx,
    end: () => {
      open = false;
    },
  };
}
