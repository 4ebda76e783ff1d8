/**
 * Worker-thread side of `pglite-worker.ts`: owns the PGlite instance and runs each request
 * through the same `engineOver` functions the in-thread engine uses, one at a time in arrival
 * order (the main side's mutex already serialises transactions). Errors travel as plain fields:
 * the SQLSTATE `code` and PostgreSQL's error fields survive, so the adapter maps them exactly as
 * it maps in-thread errors.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { engineOver } from './pglite-engine.ts';
import type { EngineMethod } from './pglite-engine.ts';
import type { WorkerReply, WorkerRequest } from './pglite-worker.ts';
import { serializeError } from './pglite-worker.ts';

if (parentPort === null) throw new Error('pglite-worker-thread must run in a worker thread');
const port: MessagePort = parentPort;
const { dataDir } = workerData as { dataDir: string };
const db = new PGlite(dataDir);
const engine = engineOver(db);

let queue: Promise<void> = Promise.resolve();
const reply = (message: WorkerReply) => port.postMessage(message);

async function handle(request: WorkerRequest): Promise<void> {
  try {
    if (request.method === 'close') {
      await engine.close();
      reply({ id: request.id, ok: true, value: undefined });
      port.close();
      return;
    }
    const method: EngineMethod = request.method;
    const value = await (engine[method] as (...args: unknown[]) => Promise<unknown>)(
      ...request.args,
    );
    reply({ id: request.id, ok: true, value });
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
}

port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
});

db.waitReady.then(
  () => reply({ id: 0, ok: true, value: undefined }),
  (error: unknown) => reply({ id: 0, ok: false, error: serializeError(error) }),
);
