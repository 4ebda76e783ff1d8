/**
 * The audit sink skips its per-batch advisory lock only on an adapter that declares
 * `exclusiveTransactions` (PGlite: one connection behind a mutex); every other adapter, and a
 * PGlite handle whose flag is withheld, still locks. The chain stays intact either way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, verifyAuditChain } from '@stella/core';
import type { AuditEvent, SqlDatabase } from '@stella/core';
import { createSqlAuditSink, readAuditEvents } from '../src/index.ts';
import { sqlBackends } from './helpers/sql-backends.ts';
import type { OpenedBackend } from './helpers/sql-backends.ts';

const clock = manualClock(Date.UTC(2025, 0, 2, 3, 4, 5));
const run = Date.now().toString(36);

function event(tenant: string, n: number): AuditEvent {
  return { type: 'authority.token.issued', correlationId: `c-${n}`, outcome: 'success', tenant };
}

/** The same database, recording every statement the sink sends inside its transactions. */
function recording(db: SqlDatabase, exclusive: boolean | undefined) {
  const statements: string[] = [];
  const wrapped: SqlDatabase = {
    ...db,
    ...(exclusive === undefined ? {} : { exclusiveTransactions: exclusive }),
    withTenant: (tenant, fn) =>
      db.withTenant(tenant, (tx) =>
        fn({
          query: (text, params) => {
            statements.push(text);
            return tx.query(text, params);
          },
        }),
      ),
  };
  return { wrapped, locks: () => statements.filter((s) => s.includes('pg_advisory')).length };
}

for (const backend of sqlBackends) {
  describe(`SQL audit sink advisory lock: ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    before(async () => {
      opened = await backend.open();
      await opened.db.migrate([]);
    });
    after(async () => opened?.dispose());

    it('declares exclusiveTransactions only on the single-connection adapter', () => {
      assert.equal(opened.db.exclusiveTransactions === true, opened.db.kind === 'pglite');
    });

    it('locks per batch unless the adapter is exclusive, and the chain verifies', async () => {
      const tenant = `lock-${backend.name}-${run}`;
      const { wrapped, locks } = recording(opened.db, undefined);
      const sink = createSqlAuditSink({ db: wrapped, clock });
      await Promise.all([1, 2, 3, 4].map((n) => sink.append(event(tenant, n))));
      await sink.append(event(tenant, 5));
      if (opened.db.kind === 'pglite') assert.equal(locks(), 0);
      else assert.ok(locks() >= 2, `expected a lock per batch, saw ${locks()}`);
      const records = await readAuditEvents(opened.db, tenant, { limit: 10 });
      assert.deepEqual(
        records.map((r) => r.seq),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(verifyAuditChain(records), { ok: true, count: 5, head: records[4]?.hash });
    });

    it('still locks when the flag is withheld (fail closed)', async () => {
      const tenant = `lockoff-${backend.name}-${run}`;
      const { wrapped, locks } = recording(opened.db, false);
      const sink = createSqlAuditSink({ db: wrapped, clock });
      await sink.append(event(tenant, 1));
      await sink.append(event(tenant, 2));
      assert.equal(locks(), 2);
    });
  });
}
