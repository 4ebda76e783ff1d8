/**
 * The PGlite adapter's one-engine-call statements (pglite-wire.ts): bound parameters stay
 * parameters, non-primitive values take PGlite's typed path, a failed statement leaves the
 * connection usable, and a transaction whose error was swallowed is refused at COMMIT.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStellaError } from '@stella/core';
import type { SqlDatabase } from '@stella/core';
import { createPgliteDatabase } from '../src/index.ts';

describe('PGlite one-call statements', () => {
  let db: SqlDatabase;
  before(async () => {
    db = createPgliteDatabase({ dataDir: 'memory://' });
    await db.migrate([]);
  });
  after(async () => db.close());

  it('returns any text parameter byte-for-byte (never inlined)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), async (text) => {
        const clean = text.replaceAll('\u0000', '');
        const r = await db.withoutTenant((tx) =>
          tx.query<{ v: string }>('SELECT $1::text AS v', [clean]),
        );
        assert.equal(r.rows[0]?.v, clean);
      }),
      { numRuns: 50 },
    );
  });

  it('binds numbers, booleans, null and bytes', async () => {
    const r = await db.withoutTenant((tx) =>
      tx.query<{ n: number; b: boolean; z: null; len: number }>(
        'SELECT $1::int AS n, $2::boolean AS b, $3::text AS z, length($4::bytea) AS len',
        [42, true, null, new Uint8Array([1, 2, 3])],
      ),
    );
    assert.deepEqual(r.rows[0], { n: 42, b: true, z: null, len: 3 });
  });

  it('runs in the tenant scope and keeps the connection usable after a failed statement', async () => {
    await assert.rejects(
      db.withTenant('acme', (tx) => tx.query('SELECT * FROM no_such_table')),
      (e: unknown) => (e as { code?: string }).code === '42P01',
    );
    const r = await db.withTenant('acme', (tx) =>
      tx.query<{ t: string; r: string }>(
        "SELECT current_setting('stella.tenant') AS t, current_user AS r",
      ),
    );
    assert.deepEqual(r.rows[0], { t: 'acme', r: 'stella_app' });
  });

  it('refuses to report a commit for a transaction whose error was swallowed', async () => {
    await assert.rejects(
      db.withoutTenant(async (tx) => {
        await tx.query('SELECT 1/0').catch(() => undefined);
        return 'swallowed';
      }),
      (e: unknown) => isStellaError(e) && e.code === 'db_unavailable',
    );
    const r = await db.withoutTenant((tx) => tx.query<{ one: number }>('SELECT 1 AS one'));
    assert.equal(r.rows[0]?.one, 1);
  });
});
