/**
 * `stella up`'s storage on the embedded defaults, with PGlite on the event loop and in a worker
 * thread (`embeddedDatabaseThread`): every service's migrations apply, a tenant transaction and
 * the hash-chained audit sink work, and the data dir survives a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '@stella/core';
import { createSqlAuditSink, readAuditEvents } from '@stella/storage';
import { dataDirLayout } from '../src/up/data-dir.ts';
import { openPlatformStorage } from '../src/up/storage.ts';

for (const thread of ['main', 'worker'] as const) {
  describe(`stella up storage, embedded PGlite on the ${thread} thread`, () => {
    const root = mkdtempSync(path.join(tmpdir(), `stella-storage-${thread}-`));
    after(() => rmSync(root, { recursive: true, force: true }));
    const layout = dataDirLayout(root);

    it('migrates every service, writes a tenant audit chain, and reopens with it', async () => {
      const first = await openPlatformStorage(layout, {
        embeddedThread: thread,
        clock: systemClock,
      });
      try {
        assert.equal(first.db.kind, 'pglite');
        const audit = createSqlAuditSink({ db: first.db, clock: systemClock });
        await Promise.all(
          [1, 2, 3].map((n) =>
            audit.append({
              type: 'test.event.written',
              tenant: 'acme',
              outcome: 'success',
              correlationId: `c-${n}`,
              properties: { n },
            }),
          ),
        );
      } finally {
        await first.close();
      }
      const second = await openPlatformStorage(layout, {
        embeddedThread: thread,
        clock: systemClock,
      });
      try {
        const records = await readAuditEvents(second.db, 'acme', { limit: 10 });
        assert.equal(records.length, 3);
      } finally {
        await second.close();
      }
    });
  });
}
