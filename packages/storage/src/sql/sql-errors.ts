/**
 * Maps driver errors to stable storage codes where the meaning is a security boundary, and lets
 * every other database error through unchanged (both `pg` and PGlite errors carry the SQLSTATE in
 * `code`, so services can still recognise e.g. `23505` unique_violation).
 */
import { isStellaError } from '@stella/core';
import { storageError } from '../errors.ts';

/** SQLSTATE raised by `stella_refuse_mutation()` (custom class "SA": StellaOps append-only). */
export const APPEND_ONLY_SQLSTATE = 'SA001';
/** PostgreSQL `insufficient_privilege`: RLS `WITH CHECK` failures and missing GRANTs. */
const INSUFFICIENT_PRIVILEGE = '42501';
const SQLSTATE = /^[0-9A-Z]{5}$/;

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

/**
 * Rewrites a database error with a security meaning; the original stays in `cause` for server
 * logs. Errors without a SQLSTATE (including the caller's own) pass through unchanged.
 */
export function mapQueryError(error: unknown): unknown {
  if (isStellaError(error)) return error;
  const state = sqlState(error);
  if (state === INSUFFICIENT_PRIVILEGE) {
    return storageError('db_permission_denied', { detail: `sqlstate ${state}`, cause: error });
  }
  if (state === APPEND_ONLY_SQLSTATE) {
    return storageError('append_only_violation', { detail: `sqlstate ${state}`, cause: error });
  }
  return error;
}

/** For errors thrown by the driver itself: no SQLSTATE means the connection failed. */
export function mapDriverError(error: unknown): unknown {
  if (isStellaError(error) || sqlState(error) !== undefined) return mapQueryError(error);
  return storageError('db_unavailable', { cause: error });
}
