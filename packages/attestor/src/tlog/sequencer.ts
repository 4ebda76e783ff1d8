/**
 * The sequencer (PLATFORM.md §6, §8): submissions queue in memory per tenant and are integrated in
 * batches — every `batchDelayMs` or `maxBatch` entries — in ONE transaction per tenant that holds
 * the tenant's advisory lock, reads the current size, appends leaves and stored hashes, signs and
 * stores the checkpoint, and builds every receipt. Each submission resolves only after its batch
 * committed. Replicas contend for the lock and never fork the log; the primary key on
 * (tenant, idx) would refuse a fork even if they did.
 */
import { epochSeconds } from '@stella/core';
import type { Clock, IdGenerator, SqlDatabase, SqlQueryable } from '@stella/core';
import { inclusionProofNodes, treeRootNodes } from '@stella/crypto';
import type { NodeId } from '@stella/crypto';
import { attestorError } from '../errors.ts';
import { createReceipt } from '../receipt.ts';
import type { Receipt } from '../receipt.ts';
import { encodeLeafData } from './leaf-data.ts';
import type { LeafSubject } from './leaf-data.ts';
import { appendLeafHashes, logHasher, readInclusionProof } from './log-hashes.ts';
import type { NodeReader } from './log-hashes.ts';
import type { LogSigner } from './log-signer.ts';
import * as store from './tlog-store.ts';
import type { LeafRow } from './tlog-store.ts';

/** A verified submission, ready to log (all checks ran before it was queued). */
export interface PreparedEntry {
  readonly envelopeSha256: string;
  /** RFC 8785 bytes of the envelope JSON (hash = envelopeSha256). */
  readonly envelope: Uint8Array;
  readonly payloadSha256: string;
  readonly predicateType: string;
  readonly subjects: readonly LeafSubject[];
}

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

export function createSequencer(options: SequencerOptions): Sequencer {
  const queues = new Map<string, TenantQueue>();
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
        const receipts = await options.db.withTenant(tenant, (tx) => integrate(tx, tenant, batch));
        batch.forEach((p, i) => p.resolve(receipts[i]!));
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    }
  }

  async function integrate(tx: SqlQueryable, tenant: string, batch: Pending[]): Promise<Receipt[]> {
    await store.lockLog(tx, tenant);
    const size = await store.readLogSize(tx);
    const existing = new Map<string, LeafRow>();
    for (const row of await store.leavesByEnvelope(
      tx,
      batch.map((p) => p.entry.envelopeSha256),
    )) {
      existing.set(row.envelopeSha256, row);
    }
    const integratedTime = epochSeconds(options.clock);
    const fresh: LeafRow[] = [];
    for (const { entry } of batch) {
      if (existing.has(entry.envelopeSha256)) continue; // duplicate → the existing entry
      const leafData = encodeLeafData({
        kind: 'dsse/v1',
        envelopeSha256: entry.envelopeSha256,
        payloadSha256: entry.payloadSha256,
        predicateType: entry.predicateType,
        subjects: entry.subjects,
        integratedTime,
      });
      const row: LeafRow = {
        index: size + fresh.length,
        uuid: options.ids.uuid(),
        leafData,
        leafHash: logHasher.hashLeaf(leafData),
        envelopeSha256: entry.envelopeSha256,
        envelope: entry.envelope,
        predicateType: entry.predicateType,
        subjectDigests: entry.subjects.map((s) => s.digest),
        integratedTime,
      };
      fresh.push(row);
      existing.set(entry.envelopeSha256, row);
    }
    let treeSize = size;
    let note: string;
    if (fresh.length > 0) {
      const border = await store.readNodeHashes(tx, treeRootNodes(size));
      const appended = appendLeafHashes(
        size,
        border,
        fresh.map((r) => r.leafHash),
      );
      await store.insertLeaves(tx, tenant, fresh);
      await store.insertHashes(tx, tenant, appended.stored);
      treeSize = size + fresh.length;
      note = options.signer.sign(tenant, treeSize, appended.root);
      await store.insertCheckpoint(
        tx,
        tenant,
        { size: treeSize, root: appended.root, note },
        new Date(options.clock.now()),
      );
    } else {
      const latest = await store.latestCheckpoint(tx);
      if (latest === undefined || latest.size !== size) throw attestorError('log_unavailable');
      note = latest.note;
    }
    const reader = await prefetch(
      tx,
      batch.map((p) => existing.get(p.entry.envelopeSha256)!.index),
      treeSize,
    );
    const receipts: Receipt[] = [];
    for (const { entry } of batch) {
      const row = existing.get(entry.envelopeSha256)!;
      receipts.push(
        createReceipt({
          uuid: row.uuid,
          index: row.index,
          leafData: row.leafData,
          envelopeSha256: row.envelopeSha256,
          treeSize,
          proof: await readInclusionProof(reader, row.index, treeSize),
          checkpoint: note,
        }),
      );
    }
    return receipts;
  }

  /** Reads the union of every receipt's proof nodes in one query (O(batch · log n) rows). */
  async function prefetch(tx: SqlQueryable, indexes: number[], size: number): Promise<NodeReader> {
    const wanted = new Map<string, NodeId>();
    for (const index of indexes) {
      for (const id of inclusionProofNodes(index, size).ids)
        wanted.set(`${id.level}/${id.index}`, id);
    }
    const ids = [...wanted.values()];
    const hashes = await store.readNodeHashes(tx, ids);
    const found = new Map(ids.map((id, i) => [`${id.level}/${id.index}`, hashes[i]!]));
    return (want) => Promise.resolve(want.map((id) => found.get(`${id.level}/${id.index}`)!));
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
