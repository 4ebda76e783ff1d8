import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIdGenerator, manualClock } from '@stella/core';
import type { SqlDatabase } from '@stella/core';
import { rfc6962Hasher, verifyConsistency } from '@stella/crypto';
import { createSequencer } from '../../src/tlog/sequencer.ts';
import type { Sequencer } from '../../src/tlog/sequencer.ts';
import { readConsistencyProof } from '../../src/tlog/log-hashes.ts';
import { listCheckpoints, readNodeHashes } from '../../src/tlog/tlog-store.ts';
import { databaseKinds, uniqueTenant } from '../helpers/databases.ts';
import { envelopeFor, logSigner, prepared } from '../helpers/fixtures.ts';
import { checkReceipt } from './receipt-check.ts';

const clock = manualClock(Date.UTC(2025, 0, 1));

/** Wraps the port to count the statements the sequencer itself issues per transaction. */
function counting(db: SqlDatabase): { db: SqlDatabase; statements: number[] } {
  const statements: number[] = [];
  return {
    statements,
    db: {
      ...db,
      withTenant: (tenant, fn) =>
        db.withTenant(tenant, (tx) => {
          const slot = statements.push(0) - 1;
          return fn({
            query: (text, params) => {
              statements[slot] = statements[slot]! + 1;
              return tx.query(text, params);
            },
          });
        }),
    },
  };
}

const sequencer = (db: SqlDatabase): Sequencer =>
  createSequencer({
    db,
    clock,
    ids: createIdGenerator(clock),
    signer: logSigner,
    maxBatch: 64,
    batchDelayMs: 1,
  });

async function submitMany(seq: Sequencer, tenant: string, from: number, count: number) {
  const entries = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const artifact = Buffer.from(`artifact ${tenant} ${from + i}`);
      return prepared(await envelopeFor([artifact]), [artifact]);
    }),
  );
  return Promise.all(entries.map((e) => seq.submit(tenant, e)));
}

for (const kind of databaseKinds) {
  test(
    `${kind.name}: a steady-state batch is lock + state read + one write; a stale cache reloads`,
    { skip: kind.skip },
    async () => {
      const raw = await kind.open();
      try {
        const tenant = uniqueTenant();
        const a = counting(raw);
        const b = counting(raw);
        const seqA = sequencer(a.db);
        const seqB = sequencer(b.db);

        const first = await submitMany(seqA, tenant, 0, 5);
        const second = await submitMany(seqA, tenant, 5, 7);
        // Empty log: no border to read. Next batch: border cached, proofs from memory.
        assert.deepEqual(a.statements, [3, 3]);
        assert.deepEqual(
          [...first, ...second].map((r) => r.index),
          Array.from({ length: 12 }, (_, i) => i),
        );

        // Another replica appends: B has no cache (reads the border), A's cache is now stale.
        const third = await submitMany(seqB, tenant, 12, 3);
        assert.deepEqual(b.statements, [4]);
        const fourth = await submitMany(seqA, tenant, 15, 4);
        assert.deepEqual(a.statements, [3, 3, 4], 'size mismatch → border re-read');
        assert.deepEqual(
          [...third, ...fourth].map((r) => r.index),
          Array.from({ length: 7 }, (_, i) => 12 + i),
        );
        for (const r of [...first, ...second, ...third, ...fourth]) checkReceipt(tenant, r);

        // A duplicate deep in the old tree is answered with a proof read from stored hashes.
        const again = await submitMany(seqA, tenant, 0, 1);
        assert.equal(again[0]!.index, 0);
        assert.equal(again[0]!.inclusionProof.treeSize, 19);
        checkReceipt(tenant, again[0]!);
        assert.equal(a.statements.at(-1), 3, 'lock + state + proof read; nothing written');

        await Promise.all([seqA.close(), seqB.close()]);
        const checkpoints = await raw.withTenant(tenant, (tx) => listCheckpoints(tx));
        assert.deepEqual(
          checkpoints.map((c) => c.size),
          [5, 12, 15, 19],
        );
        const reader = (ids: Parameters<typeof readNodeHashes>[1]) =>
          raw.withTenant(tenant, (tx) => readNodeHashes(tx, ids));
        for (const from of checkpoints) {
          for (const to of checkpoints.filter((c) => c.size > from.size)) {
            const proof = await readConsistencyProof(reader, from.size, to.size);
            verifyConsistency(rfc6962Hasher, from.size, to.size, proof, from.root, to.root);
          }
        }
      } finally {
        await raw.close();
      }
    },
  );
}
