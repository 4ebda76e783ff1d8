/**
 * Tenant ids (PLATFORM.md §2): lowercase `[a-z0-9][a-z0-9-]{0,62}`, plus the reserved `_platform`
 * for platform-level rows (audit events that belong to no tenant). The id is attacker-influenced
 * (it comes from a token's `tid`), so it is validated before it reaches `set_config`.
 */
import { storageError } from './errors.ts';

const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Reserved tenant for platform-level rows; never issued to a client. */
export const PLATFORM_TENANT = '_platform';

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && (value === PLATFORM_TENANT || TENANT_ID.test(value));
}

export function assertTenantId(value: unknown): asserts value is string {
  if (!isTenantId(value)) throw storageError('invalid_tenant');
}
