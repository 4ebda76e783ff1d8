/**
 * The application role every tenant transaction runs as (PLATFORM.md §7): NOSUPERUSER
 * NOBYPASSRLS, so row-level security applies even when the connecting user owns the tables.
 * The name is interpolated into `SET LOCAL ROLE`, so it is restricted to a plain identifier.
 */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const DEFAULT_APP_ROLE = 'stella_app';

export function assertRoleName(role: string): string {
  if (!ROLE_NAME.test(role)) throw new TypeError('appRole must be a lowercase SQL identifier');
  return role;
}
