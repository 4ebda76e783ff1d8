/**
 * The sequencer (PLATFORM.md §6, §8): submissions queue in memory per tenant and are integrated in
 * batches — every `batchDelayMs` or `maxBatch` entries — in ONE transaction per tenant that holds
 * the tenant's advisory lock, reads the current size, appends leaves and stored hashes, signs and
 * stores the checkpoint, and builds every receipt. Each submission resolves only after its batch
 * committed. Replicas contend for the lock and never fork the log; the primary key on
 * (tenant, idx) would refuse a fork even if they did.
 *
 * Cost per batch (PostgreSQL round trips dominate): lock, one state read, one multi-table write
 * (batch-store.ts) plus the adapter's BEGIN / scope / COMMIT. Leaves are drafted before the
 * transaction; the tree's right border is cached between batches and re-validated under the lock;
 * receipt proofs come from hashes the batch already holds.
 */
import { constantTimeEqual, epochSeconds } from '@stella/core';
import type { Clock, IdGenerator, SqlDatabase, SqlQueryable } from '@stella/core';
import { rootFromStoredHashes, treeRootNodes } from '@stella/crypto';
import { attestorError } from '../errors.ts';
import { createReceipt } from '../receipt.ts';
import type { Receipt } from '../receipt.ts';
import { draftLeaf, knownNodeReader, nodeKey } from './batch-nodes.ts';
import type { DraftLeaf, PreparedEntry } from './batch-nodes.ts';
import { appendLeafHashes, logHasher, readInclusionProof } from './log-hashes.ts';
import type { LogSigner } from './log-signer.ts';
import { readLogState, writeBatch } from './batch-store.ts';
import type { ExistingLeaf } from './batch-store.ts';
import * as store from './tlog-store.ts';
import type { CheckpointRow, LeafRow } from './tlog-store.ts';

export type { PreparedEntry } from './batch-nodes.ts';

export interface SequencerOptions {
  readonly db: SqlDatabase;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly signer: LogSigner;
  readonly maxBatch: number;
  readonly batchDelayMs: number;
}

export interface Sequencer {
  submit(tenant: string, entry: PreparedEntry): Promise<Receipt>;
  /** Stops accepting, integrates everything queued, resolves when the last batch committed. */
  close(): Promise<void>;
}

interface Pending {
  readonly entry: PreparedEntry;
  resolve(receipt: Receipt): void;
  reject(error: unknown): void;
}

interface TenantQueue {
  items: Pending[];
  timer: ReturnType<typeof setTimeout> | undefined;
  running: Promise<void>;
}

/** A tenant tree as of the last batch this process committed. */
interface CachedTree {
  readonly size: number;
  readonly root: Uint8Array;
  readonly border: readonly Uint8Array[];
  readonly note: string;
}

interface Batch {
  readonly receipts: Receipt[];
  readonly tree: CachedTree;
}

export function createSequencer(options: SequencerOptions): Sequencer {
  const queues = new Map<string, TenantQueue>();
  const trees = new Map<string, CachedTree>();
  let closed = false;

  function schedule(tenant: string, queue: TenantQueue, now: boolean): void {
    if (now) {
      if (queue.timer !== undefined) clearTimeout(queue.timer);
      queue.timer = undefined;
      queue.running = queue.running.then(() => drain(tenant, queue));
      return;
    }
    queue.timer ??= setTimeout(() => {
      queue.timer = undefined;
      queue.running = queue.running.then(() => drain(tenant, queue));
    }, options.batchDelayMs);
  }

  async function drain(tenant: string, queue: TenantQueue): Promise<void> {
    while (queue.items.length > 0) {
      const batch = queue.items.splice(0, options.maxBatch);
      try {
        // Leaf bytes and hashes depend only on the entry and the time: computed before the
        // transaction, so the lock is held for SQL and the checkpoint signature only.
        const integratedTime = epochSeconds(options.clock);
        const drafts = batch.map((p) => draftLeaf(p.entry, options.ids.uuid(), integratedTime));
        const done = await options.db.withTenant(tenant, (tx) => integrate(tx, tenant, drafts));
        // Only a committed batch may become the cached state the next batch starts from.
        trees.set(tenant, done.tree);
        batch.forEach((p, i) => p.resolve(done.receipts[i]!));
      } catch (error) {
        trees.delete(tenant);
        batch.forEach((p) => p.reject(error));
      }
    }
  }

  /**
   * One batch under the tenant's lock. Steady state: lock, one state read, one write. The right
   * border of the tree is cached between batches and trusted only when the log is still exactly
   * where this process left it (same size, and the latest checkpoint's root is the root of the
   * cached border); any other writer (a second replica) makes it reload from stored hashes.
   */
  async function integrate(
    tx: SqlQueryable,
    tenant: string,
    drafts: readonly DraftLeaf[],
  ): Promise<Batch> {
    await store.lockLog(tx, tenant);
    const state = await readLogState(
      tx,
      drafts.map((d) => d.entry.envelopeSha256),
    );
    const { size, latest } = state;
    const border = await borderOf(tx, tenant, size, latest);
    const byEnvelope = new Map<string, ExistingLeaf>();
    for (const leaf of state.existing) byEnvelope.set(leaf.envelopeSha256, leaf);
    const fresh: LeafRow[] = [];
    for (const draft of drafts) {
      const { entry } = draft;
      if (byEnvelope.has(entry.envelopeSha256)) continue; // duplicate → the existing entry
      const row: LeafRow = {
        index: size + fresh.length,
        uuid: draft.uuid,
        leafData: draft.leafData,
        leafHash: draft.leafHash,
        envelopeSha256: entry.envelopeSha256,
        envelope: entry.envelope,
        predicateType: entry.predicateType,
        subjectDigests: entry.subjects.map((s) => s.digest),
        integratedTime: draft.integratedTime,
      };
      fresh.push(row);
      byEnvelope.set(entry.envelopeSha256, row);
    }
    // Nodes this process knows without a read: the old border and every node the batch creates.
    const known = new Map<string, Uint8Array>();
    treeRootNodes(size).forEach((id, i) => known.set(nodeKey(id), border[i]!));
    let tree: CachedTree;
    if (fresh.length > 0) {
      const appended = appendLeafHashes(
        size,
        border,
        fresh.map((r) => r.leafHash),
      );
      for (const h of appended.stored) known.set(nodeKey(h), h.hash);
      const treeSize = size + fresh.length;
      const note = options.signer.sign(tenant, treeSize, appended.root);
      await writeBatch(tx, tenant, {
        leaves: fresh,
        hashes: appended.stored,
        checkpoint: { size: treeSize, root: appended.root, note },
        createdAt: new Date(options.clock.now()),
      });
      tree = { size: treeSize, root: appended.root, border: appended.border, note };
    } else {
      if (latest === undefined || latest.size !== size) throw attestorError('log_unavailable');
      tree = { size, root: latest.root, border, note: latest.note };
    }
    const read = knownNodeReader(tx, known);
    const receipts: Receipt[] = [];
    for (const { entry } of drafts) {
      const leaf = byEnvelope.get(entry.envelopeSha256)!;
      receipts.push(
        createReceipt({
          uuid: leaf.uuid,
          index: leaf.index,
          leafData: leaf.leafData,
          envelopeSha256: leaf.envelopeSha256,
          treeSize: tree.size,
          proof: await readInclusionProof(read, leaf.index, tree.size),
          checkpoint: tree.note,
        }),
      );
    }
    return { receipts, tree };
  }

  /** The right border of the tree of `size` leaves: cached when provably current, else read. */
  async function borderOf(
    tx: SqlQueryable,
    tenant: string,
    size: number,
    latest: CheckpointRow | undefined,
  ): Promise<readonly Uint8Array[]> {
    const cached = trees.get(tenant);
    const current = latest !== undefined && latest.size === size;
    if (current && cached?.size === size && constantTimeEqual(cached.root, latest.root)) {
      return cached.border;
    }
    const border = await store.readNodeHashes(tx, treeRootNodes(size));
    // The stored hashes must reproduce the published root, or appending would extend a tree
    // nobody signed: refuse rather than fork from a corrupt table.
    if (current && !constantTimeEqual(rootFromStoredHashes(logHasher, size, border), latest.root)) {
      throw attestorError('log_unavailable');
    }
    return border;
  }

  return {
    submit(tenant, entry) {
      if (closed) return Promise.reject(attestorError('service_closed'));
      let queue = queues.get(tenant);
      if (queue === undefined) {
        queue = { items: [], timer: undefined, running: Promise.resolve() };
        queues.set(tenant, queue);
      }
      const q = queue;
      return new Promise<Receipt>((resolve, reject) => {
        q.items.push({ entry, resolve, reject });
        schedule(tenant, q, q.items.length >= options.maxBatch);
      });
    },
    async close() {
      closed = true;
      for (const [tenant, queue] of queues) {
        if (queue.items.length > 0) schedule(tenant, queue, true);
        await queue.running;
      }
    },
  };
}
