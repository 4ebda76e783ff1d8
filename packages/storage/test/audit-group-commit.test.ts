/**
 * Group commit of the SQL audit sink under a busy connection: appends that arrive while the
 * drainer waits for the connection share ONE transaction (the batch is taken when the
 * transaction starts, not when the drainer queued for it), every append still resolves only
 * after its commit, and a store that fails before running the batch fails the queued appends
 * instead of retrying forever.
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
  return {
    type: 'authority.token.issued',
    correlationId: `corr-${n}`,
    outcome: 'success',
    tenant,
    properties: { n },
  };
}

/** Counts the tenant transactions the sink opens (a scratch wrapper over the real database). */
function countingTenantTransactions(db: SqlDatabase) {
  const counter = { transactions: 0 };
  const wrapped: SqlDatabase = {
    kind: db.kind,
    withTenant: (tenant, fn) => {
      counter.transactions += 1;
      return db.withTenant(tenant, fn);
    },
    withoutTenant: (fn) => db.withoutTenant(fn),
    migrate: (migrations) => db.migrate(migrations),
    close: () => db.close(),
  };
  return { db: wrapped, counter };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const backend of sqlBackends.filter((b) => b.name === 'pglite')) {
  describe(`SQL audit sink group commit: ${backend.name}`, () => {
    let opened: OpenedBackend;
    before(async () => {
      opened = await backend.open();
      await opened.db.migrate([]);
    });
    after(async () => opened?.dispose());

    it('commits appends that queued behind a busy connection in one transaction', async () => {
      const tenant = `grouped-${run}`;
      const { db, counter } = countingTenantTransactions(opened.db);
      const sink = createSqlAuditSink({ db, clock });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // Another request holds PGlite's single connection.
      const busy = opened.db.withoutTenant(async () => gate);
      const settled: number[] = [];
      const first = sink.append(event(tenant, 0)).then(() => settled.push(0));
      await tick(); // the drainer has started and is waiting for the connection
      const rest = Array.from({ length: 49 }, (_, i) =>
        sink.append(event(tenant, i + 1)).then(() => settled.push(i + 1)),
      );
      await tick();
      assert.deepEqual(settled, [], 'no append resolves before its commit');
      release();
      await Promise.all([busy, first, ...rest]);
      assert.equal(counter.transactions, 1);
      const records = await readAuditEvents(opened.db, tenant, { limit: 100 });
      assert.equal(records.length, 50);
      assert.equal(verifyAuditChain(records).ok, true);
      assert.deepEqual(
        records.map((r) => r.event.correlationId),
        Array.from({ length: 50 }, (_, i) => `corr-${i}`),
      );
    });

    it('fails queued appends when the store refuses the transaction itself', async () => {
      const broken: SqlDatabase = {
        ...opened.db,
        kind: opened.db.kind,
        withTenant: () => Promise.reject(new Error('store unreachable')),
        withoutTenant: (fn) => opened.db.withoutTenant(fn),
        migrate: (m) => opened.db.migrate(m),
        close: async () => undefined,
      };
      const sink = createSqlAuditSink({ db: broken, clock });
      const results = await Promise.allSettled([
        sink.append(event(`broken-${run}`, 1)),
        sink.append(event(`broken-${run}`, 2)),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected'],
      );
      // The sink is not wedged: a later append against the same (still broken) store fails too.
      await assert.rejects(sink.append(event(`broken-${run}`, 3)), /store unreachable/);
    });
  });
}
