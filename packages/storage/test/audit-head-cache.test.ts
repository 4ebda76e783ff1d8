/**
 * The SQL audit sink remembers the chain head it committed last and skips the head read on the
 * next batch. A remembered head that another replica has since moved past must make the INSERT
 * collide on (tenant, seq) and the batch retry under the lock — never fork the chain.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, verifyAuditChain } from '@stella/core';
import type { AuditEvent } from '@stella/core';
import { createSqlAuditSink, readAuditEvents, readAuditHead } from '../src/index.ts';
import { sqlBackends } from './helpers/sql-backends.ts';
import type { OpenedBackend } from './helpers/sql-backends.ts';

const clock = manualClock(Date.UTC(2025, 0, 2, 3, 4, 5));
const run = Date.now().toString(36);

function event(tenant: string, n: number): AuditEvent {
  return { type: 'authority.token.issued', correlationId: `c-${n}`, outcome: 'success', tenant };
}

for (const backend of sqlBackends) {
  describe(`SQL audit sink head cache: ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    before(async () => {
      opened = await backend.open();
      await opened.db.migrate([]);
    });
    after(async () => opened?.dispose());

    it('retries a batch whose remembered head another replica moved past', async () => {
      const tenant = `stale-${run}`;
      const a = createSqlAuditSink({ db: opened.db, clock });
      const b = createSqlAuditSink({ db: opened.another(), clock });
      await a.append(event(tenant, 1)); // a remembers seq 1
      await b.append(event(tenant, 2)); // b reads the head under the lock: seq 2
      await b.append(event(tenant, 3)); // b's remembered head is current: seq 3
      await a.append(event(tenant, 4)); // a's head (seq 1) is stale: collides, retries locked
      await a.append(event(tenant, 5)); // and remembers the head it just wrote
      const records = await readAuditEvents(opened.db, tenant, { limit: 10 });
      assert.deepEqual(
        records.map((r) => [r.seq, r.event.correlationId]),
        [1, 2, 3, 4, 5].map((n) => [n, `c-${n}`]),
      );
      assert.deepEqual(verifyAuditChain(records), { ok: true, count: 5, head: records[4]?.hash });
      assert.equal((await readAuditHead(opened.db, tenant)).seq, 5);
    });
  });
}
