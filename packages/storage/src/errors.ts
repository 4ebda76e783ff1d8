/**
 * Storage error codes (CONVENTIONS.md "Errors"): a closed table, one stable lowercase code per
 * refusal. `detail` carries ids, digests and SQLSTATEs only — never row data, keys or values.
 */
import { defineErrorCodes } from '@stella/core';
import type { ErrorCodeTable } from '@stella/core';

export const storageErrorCodes = {
  invalid_tenant: {
    status: 400,
    description: 'malformed tenant id; expected [a-z0-9][a-z0-9-]{0,62} or _platform',
  },
  db_unavailable: { status: 503, description: 'the database is unavailable' },
  db_permission_denied: {
    status: 500,
    description: 'the database refused the statement for this tenant or role',
  },
  append_only_violation: {
    status: 500,
    description: 'the table is append-only; update and delete are refused',
  },
  migration_checksum_mismatch: {
    status: 500,
    description: 'an applied migration was changed; refusing to start',
  },
  migration_failed: { status: 500, description: 'a database migration failed' },
  invalid_audit_event: {
    status: 500,
    description: 'the audit event is malformed (type, tenant, occurredAt or JSON value)',
  },
  kv_unavailable: { status: 503, description: 'the key-value store is unavailable' },
  kv_not_a_counter: { status: 500, description: 'the key does not hold a counter' },
  object_too_large: { status: 413, description: 'the object exceeds the size limit' },
  digest_mismatch: {
    status: 422,
    description: 'the content does not match the expected digest',
  },
  object_corrupted: {
    status: 500,
    description: 'the stored object does not match its digest',
  },
} as const satisfies ErrorCodeTable;

export type StorageErrorCode = keyof typeof storageErrorCodes;

export const storageError = defineErrorCodes(storageErrorCodes);
