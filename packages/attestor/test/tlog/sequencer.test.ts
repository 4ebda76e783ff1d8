import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIdGenerator, manualClock } from '@stella/core';
import { rfc6962Hasher, verifyConsistency } from '@stella/crypto';
import { createSequencer } from '../../src/tlog/sequencer.ts';
import { readConsistencyProof } from '../../src/tlog/log-hashes.ts';
import { listCheckpoints, readNodeHashes } from '../../src/tlog/tlog-store.ts';
import { databaseKinds, uniqueTenant } from '../helpers/databases.ts';
import type { Receipt } from '../../src/receipt.ts';
import { envelopeFor, logSigner, prepared } from '../helpers/fixtures.ts';
import { checkReceipt } from './receipt-check.ts';

const clock = manualClock(Date.UTC(2025, 0, 1));

for (const kind of databaseKinds) {
  test(
    `${kind.name}: two sequencers on one database never fork a tenant log`,
    { skip: kind.skip },
    async () => {
      const db = await kind.open();
      try {
        const tenant = uniqueTenant();
        const make = () =>
          createSequencer({
            db,
            clock,
            ids: createIdGenerator(clock),
            signer: logSigner,
            maxBatch: 16,
            batchDelayMs: 2,
          });
        const a = make();
        const b = make();
        const submissions: Promise<Receipt>[] = [];
        for (let i = 0; i < 60; i += 1) {
          const artifact = Buffer.from(`artifact ${tenant} ${i}`);
          const entry = prepared(await envelopeFor([artifact]), [artifact]);
          submissions.push((i % 2 === 0 ? a : b).submit(tenant, entry));
        }
        const receipts = await Promise.all(submissions);
        await Promise.all([a.close(), b.close()]);
        const indexes = receipts.map((r) => r.index).sort((x, y) => x - y);
        assert.deepEqual(
          indexes,
          Array.from({ length: 60 }, (_, i) => i),
          'dense, unique indexes',
        );
        receipts.forEach((r) => checkReceipt(tenant, r));

        // Every pair of published checkpoints is consistent.
        const checkpoints = await db.withTenant(tenant, (tx) => listCheckpoints(tx));
        assert.ok(checkpoints.length >= 2);
        const reader = (ids: Parameters<typeof readNodeHashes>[1]) =>
          db.withTenant(tenant, (tx) => readNodeHashes(tx, ids));
        for (let i = 0; i < checkpoints.length; i += 1) {
          for (let j = i; j < checkpoints.length; j += 1) {
            const from = checkpoints[i]!;
            const to = checkpoints[j]!;
            const proof = await readConsistencyProof(reader, from.size, to.size);
            verifyConsistency(rfc6962Hasher, from.size, to.size, proof, from.root, to.root);
          }
        }
      } finally {
        await db.close();
      }
    },
  );

  test(
    `${kind.name}: duplicate envelope returns the existing entry; tenants are separate logs`,
    { skip: kind.skip },
    async () => {
      const db = await kind.open();
      try {
        const [t1, t2] = [uniqueTenant(), uniqueTenant()];
        const seq = createSequencer({
          db,
          clock,
          ids: createIdGenerator(clock),
          signer: logSigner,
          maxBatch: 8,
          batchDelayMs: 1,
        });
        const artifact = Buffer.from('dup');
        const entry = prepared(await envelopeFor([artifact]), [artifact]);
        const [first, again] = await Promise.all([seq.submit(t1, entry), seq.submit(t1, entry)]);
        const later = await seq.submit(t1, entry);
        assert.equal(first.uuid, again.uuid);
        assert.equal(first.uuid, later.uuid);
        assert.equal(later.inclusionProof.treeSize, 1);
        const other = await seq.submit(t2, entry);
        assert.equal(other.index, 0);
        assert.notEqual(other.uuid, first.uuid);
        assert.ok(other.checkpoint.startsWith(`${logSigner.origin(t2)}\n1\n`));
        checkReceipt(t2, other);
        await seq.close();
        await assert.rejects(seq.submit(t1, entry), { code: 'service_closed' });
        // Append-only: the trigger refuses mutation even inside the tenant's own transaction.
        await assert.rejects(
          db.withTenant(t1, (tx) => tx.query('DELETE FROM attestor_tlog_leaves')),
        );
        await assert.rejects(
          db.withTenant(t1, (tx) => tx.query('UPDATE attestor_tlog_hashes SET level = 1')),
        );
      } finally {
        await db.close();
      }
    },
  );
}
