/**
 * SQL audit sink on every SQL backend: the chain verifies with core's verifyAuditChain, group
 * commit keeps append order, two sinks (replicas) on one database extend ONE unbroken chain,
 * tenants cannot read each other's chain, and the table refuses edits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { manualClock, verifyAuditChain } from '@stella/core';
import type { AuditEvent } from '@stella/core';
import { createSqlAuditSink, readAuditEvents, readAuditHead } from '../src/index.ts';
import { sqlBackends } from './helpers/sql-backends.ts';
import type { OpenedBackend } from './helpers/sql-backends.ts';

const clock = manualClock(Date.UTC(2025, 0, 2, 3, 4, 5));

function event(tenant: string, n: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    type: 'authority.token.issued',
    correlationId: `corr-${n}`,
    outcome: 'success',
    tenant,
    actor: { clientId: `client-${n % 3}` },
    scopes: ['attestor:read'],
    properties: { n, note: 'ünïcode ✓' },
    ...extra,
  };
}

for (const backend of sqlBackends) {
  describe(`SQL audit sink: ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    before(async () => {
      opened = await backend.open();
      await opened.db.migrate([]);
    });
    after(async () => opened?.dispose());

    it('reads the chain head numerically past seq 9 (regression: text ordering)', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock, maxBatch: 3 });
      assert.deepEqual(await readAuditHead(opened.db, 'head-order'), {
        seq: 0,
        hash: '0'.repeat(64),
      });
      for (let n = 0; n < 12; n += 1) await sink.append(event('head-order', n));
      const records = await readAuditEvents(opened.db, 'head-order', { limit: 100 });
      const head = await readAuditHead(opened.db, 'head-order');
      assert.equal(head.seq, 12);
      assert.equal(head.hash, records.at(-1)?.hash);
    });

    it('writes a chain that verifies, in append order, with occurredAt from the clock', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock, maxBatch: 7 });
      await Promise.all(Array.from({ length: 40 }, (_, i) => sink.append(event('acme', i))));
      const records = await readAuditEvents(opened.db, 'acme', { limit: 1000 });
      assert.equal(records.length, 40);
      assert.deepEqual(verifyAuditChain(records).ok, true);
      assert.deepEqual(
        records.map((r) => r.event.correlationId),
        Array.from({ length: 40 }, (_, i) => `corr-${i}`),
      );
      assert.equal(records[0]?.event.occurredAt, '2025-01-02T03:04:05.000Z');
    });

    it('keeps one unbroken chain when two sinks (replicas) append concurrently', async () => {
      const a = createSqlAuditSink({ db: opened.db, clock });
      const b = createSqlAuditSink({ db: opened.another(), clock });
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).append(event('replicated', i))),
      );
      await Promise.all([a.append(event('replicated', 100)), b.append(event('replicated', 101))]);
      const records = await readAuditEvents(opened.db, 'replicated', { limit: 1000 });
      const verdict = verifyAuditChain(records);
      assert.deepEqual(verdict, { ok: true, count: 62, head: records.at(-1)?.hash });
    });

    it('keeps tenants apart: each chain starts at seq 1 and is invisible to others', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock });
      await Promise.all([sink.append(event('tenant-a', 1)), sink.append(event('tenant-b', 2))]);
      const a = await readAuditEvents(opened.db, 'tenant-a', { limit: 10 });
      assert.deepEqual(
        a.map((r) => [r.seq, r.event.tenant]),
        [[1, 'tenant-a']],
      );
      const foreign = await opened.db.withTenant('tenant-a', (tx) =>
        tx.query("SELECT * FROM audit_events WHERE tenant = 'tenant-b'"),
      );
      assert.equal(foreign.rows.length, 0);
      const none = await opened.db.withoutTenant((tx) => tx.query('SELECT * FROM audit_events'));
      assert.equal(none.rows.length, 0);
    });

    it('refuses edits and deletes of audit rows', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock });
      await sink.append(event('immutable', 1));
      await assert.rejects(
        opened.db.withTenant('immutable', (tx) =>
          tx.query("UPDATE audit_events SET type = 'x.y.z'"),
        ),
        { code: 'db_permission_denied' },
      );
      await assert.rejects(
        opened.db.withTenant('immutable', (tx) => tx.query('DELETE FROM audit_events')),
        { code: 'db_permission_denied' },
      );
    });

    it('detects a forged row inserted out of band', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock });
      await sink.append(event('forged', 1));
      const [first] = await readAuditEvents(opened.db, 'forged', { limit: 1 });
      await opened.db.withTenant('forged', (tx) =>
        tx.query(
          `INSERT INTO audit_events (tenant, seq, occurred_at, type, hash, prev_hash, event)
           VALUES ('forged', 2, now(), 'x.y.z', $1, $1, '{"type":"x.y.z"}')`,
          [first?.hash],
        ),
      );
      const verdict = verifyAuditChain(await readAuditEvents(opened.db, 'forged', { limit: 10 }));
      assert.deepEqual(verdict, { ok: false, seq: 2, reason: 'hash_mismatch' });
    });

    it('refuses a malformed event alone, without failing the rest of its batch', async () => {
      const sink = createSqlAuditSink({ db: opened.db, clock });
      const results = await Promise.allSettled([
        sink.append(event('mixed', 1)),
        sink.append(event('mixed', 2, { type: 'Not A Type' })),
        sink.append(event('mixed', 3, { occurredAt: 'yesterday' })),
        sink.append(event('mixed', 4, { properties: { n: Number.NaN } })),
        sink.append(event('BAD TENANT', 5)),
        sink.append(event('mixed', 6)),
      ]);
      const codes = results.map((r) =>
        r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code,
      );
      assert.deepEqual(codes, [
        'ok',
        'invalid_audit_event',
        'invalid_audit_event',
        'invalid_audit_event',
        'invalid_audit_event',
        'ok',
      ]);
      const records = await readAuditEvents(opened.db, 'mixed', { limit: 10 });
      assert.equal(verifyAuditChain(records).ok, true);
      assert.equal(records.length, 2);
    });

    it('pages with sinceSeq and limit', async () => {
      const page = await readAuditEvents(opened.db, 'acme', { sinceSeq: 10, limit: 5 });
      assert.deepEqual(
        page.map((r) => r.seq),
        [11, 12, 13, 14, 15],
      );
      await assert.rejects(readAuditEvents(opened.db, 'acme', { limit: 0 }), TypeError);
    });
  });
}

describe('audit event preparation (property)', () => {
  it('any event the sink accepts round-trips through storage byte-for-byte', async () => {
    const backend = sqlBackends[0];
    assert.ok(backend);
    const opened = await backend.open();
    try {
      await opened.db.migrate([]);
      const sink = createSqlAuditSink({ db: opened.db, clock });
      const props = fc.dictionary(
        fc.string({ maxLength: 10 }),
        fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)),
        { maxKeys: 5 },
      );
      let appended = 0;
      await fc.assert(
        fc.asyncProperty(props, fc.string({ maxLength: 30 }), async (properties, reason) => {
          await sink.append(event('prop', appended, { properties, reason }));
          appended += 1;
        }),
        { numRuns: 60 },
      );
      const records = await readAuditEvents(opened.db, 'prop', { limit: 1000 });
      assert.equal(records.length, appended);
      assert.equal(verifyAuditChain(records).ok, true);
    } finally {
      await opened.dispose();
    }
  });
});
