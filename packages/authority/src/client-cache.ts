/**
 * Per-replica cache of ACTIVE client and tenant records in front of `client-registry.ts`, so a
 * token request does no SQL besides its audit append (issue 3 bench target).
 *
 * Freshness bound (documented in docs/authority.md "Performance"):
 * - on the replica that makes a change (admin API or composition root) every write drops the
 *   cache at once, and a read that was in flight across the write is not stored (generation
 *   check), so that replica refuses a disabled client or tenant immediately;
 * - another replica keeps a record at most `ttlMs`, so a client or tenant disabled elsewhere
 *   stops getting tokens there within `ttlMs`. `disableClient`/`disableTenant` therefore record
 *   `revoked_at = now + ttlMs`: every token a stale replica issued meanwhile has `iat <=
 *   revokedAt` and is revoked by the bundle too (introspection checks the live status anyway).
 * Only positive answers are cached: an unknown, disabled or just-added record is always read.
 * Concurrent misses for one id share one query.
 */
import type { Clock } from '@stella/core';
import type { ClientRecord, ClientRegistry } from './client-registry.ts';

export interface ClientCacheOptions {
  readonly clock: Clock;
  /** How long a replica trusts a cached record, milliseconds; 0 disables the cache. */
  readonly ttlMs: number;
  /** Entries per map before the oldest are dropped (bounds memory under many client ids). */
  readonly maxEntries?: number;
}

interface Entry<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

function createTtlLoader<T>(options: ClientCacheOptions, keep: (value: T) => boolean) {
  const max = options.maxEntries ?? 4096;
  const entries = new Map<string, Entry<T>>();
  let generation = 0;
  return {
    get(key: string, load: () => Promise<T>): Promise<T> {
      const now = options.clock.now();
      const hit = entries.get(key);
      if (hit !== undefined && now - hit.at < options.ttlMs && now >= hit.at) return hit.value;
      if (options.ttlMs === 0) return load();
      const started = generation;
      const value = load();
      if (entries.size >= max) entries.delete(entries.keys().next().value as string);
      const entry = { at: now, value };
      entries.set(key, entry);
      value.then(
        (v) => {
          // Not kept: negative answers, and answers read across a write on this replica.
          if ((!keep(v) || started !== generation) && entries.get(key) === entry) {
            entries.delete(key);
          }
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key); // never cache a failure
        },
      );
      return value;
    },
    clear(): void {
      generation += 1;
      entries.clear();
    },
  };
}

export function createCachedClientRegistry(
  inner: ClientRegistry,
  options: ClientCacheOptions,
): ClientRegistry {
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 0) {
    throw new TypeError('ttlMs must be a non-negative integer');
  }
  const clients = createTtlLoader<ClientRecord | undefined>(options, (c) => c !== undefined);
  const tenants = createTtlLoader<boolean>(options, (active) => active);
  const dropAll = () => {
    clients.clear();
    tenants.clear();
  };
  /** Runs a write; the caches are dropped before it starts and again once it has committed. */
  async function writing<T>(write: () => Promise<T>): Promise<T> {
    dropAll();
    try {
      return await write();
    } finally {
      dropAll();
    }
  }
  const revokeUntil = (now: Date) => new Date(now.getTime() + options.ttlMs);
  // Every member listed (no spread of `inner`): a method added to the registry later does not
  // compile here until it is classified as a read or as a write that must drop the caches.
  return {
    getClient: (id) => inner.getClient(id),
    listClients: () => inner.listClients(),
    listTenants: () => inner.listTenants(),
    getActiveClient: (id) => clients.get(id, () => inner.getActiveClient(id)),
    isTenantActive: (id) => tenants.get(id, () => inner.isTenantActive(id)),
    addClient: (client, now) => writing(() => inner.addClient(client, now)),
    // addTenant also extends tenant-wide service clients (the signer): their records change.
    addTenant: (id, now) => writing(() => inner.addTenant(id, now)),
    disableClient: (id, now) => writing(() => inner.disableClient(id, now, revokeUntil(now))),
    disableTenant: (id, now) => writing(() => inner.disableTenant(id, now, revokeUntil(now))),
  };
}
