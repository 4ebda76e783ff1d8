/**
 * The tenant-scoped evidence store (issue 6): bytes live once in the content-addressed object
 * store port; each tenant's claim on them is an append-only index row under RLS. A digest is
 * visible to a tenant only through its own row, so another tenant's object is indistinguishable
 * from an absent one.
 */
import { isStellaError } from '@stella/core';
import type { ObjectStore, SqlDatabase } from '@stella/core';
import { attestorError } from '../errors.ts';

export interface EvidenceRecord {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export interface EvidenceStore {
  /** Streams `source` into the object store and records the tenant's index row. */
  put(
    tenant: string,
    source: AsyncIterable<Uint8Array>,
    options: { maxBytes: number; expectedDigest?: string; mediaType: string },
  ): Promise<EvidenceRecord & { created: boolean }>;
  /** The tenant's index row, or undefined (absent or another tenant's). */
  find(tenant: string, digest: string): Promise<EvidenceRecord | undefined>;
  /** Verified bytes (the object store re-hashes on read); undefined when not the tenant's. */
  read(tenant: string, digest: string): Promise<Uint8Array | undefined>;
}

export function createEvidenceStore(deps: {
  db: SqlDatabase;
  objects: ObjectStore;
  now: () => Date;
}): EvidenceStore {
  async function find(tenant: string, digest: string): Promise<EvidenceRecord | undefined> {
    const { rows } = await deps.db.withTenant(tenant, (tx) =>
      tx.query<{ size: unknown; media_type: unknown }>(
        'SELECT size, media_type FROM attestor_evidence WHERE digest = $1',
        [digest],
      ),
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { digest, size: Number(row.size), mediaType: String(row.media_type) };
  }
  return {
    async put(tenant, source, options) {
      let stored;
      try {
        stored = await deps.objects.putStream(source, {
          maxBytes: options.maxBytes,
          ...(options.expectedDigest === undefined
            ? {}
            : { expectedDigest: options.expectedDigest }),
        });
      } catch (error) {
        if (isStellaError(error) && error.code === 'object_too_large') {
          throw attestorError('payload_too_large');
        }
        if (isStellaError(error) && error.code === 'digest_mismatch') {
          throw attestorError('digest_mismatch');
        }
        throw error;
      }
      // ON CONFLICT: the same bytes again are the same answer (200, not 201), never an update.
      const { rowCount } = await deps.db.withTenant(tenant, (tx) =>
        tx.query(
          `INSERT INTO attestor_evidence (tenant, digest, size, media_type, created_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, digest) DO NOTHING`,
          [tenant, stored.digest, String(stored.size), options.mediaType, deps.now().toISOString()],
        ),
      );
      if (rowCount === 0) {
        const existing = await find(tenant, stored.digest);
        if (existing !== undefined) return { ...existing, created: false };
      }
      return {
        digest: stored.digest,
        size: stored.size,
        mediaType: options.mediaType,
        created: rowCount > 0,
      };
    },
    find,
    async read(tenant, digest) {
      if ((await find(tenant, digest)) === undefined) return undefined;
      return deps.objects.get(digest);
    },
  };
}
