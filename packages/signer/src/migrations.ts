import type { Migration } from '@stella/core';

/**
 * The signer keeps no database (PLATFORM.md §1: stateless hot path; evidence is read from the
 * attestor, audit goes to the injected AuditSink, keys come from the secrets provider).
 */
export const signerMigrations: Migration[] = [];
