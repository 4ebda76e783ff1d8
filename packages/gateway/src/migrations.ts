import type { Migration } from '@stella/core';

/** The gateway owns no tables (PLATFORM.md §1: state is the KV store's rate-limit counters). */
export const gatewayMigrations: readonly Migration[] = Object.freeze([]);
