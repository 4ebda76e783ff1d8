/**
 * The PGlite engine in a worker thread. PGlite runs PostgreSQL as WASM on the thread that calls
 * it, so in-thread every statement, WAL write and commit is event-loop time of the service
 * (measured: the Authority's hash-chained audit commit was ~40 % of its CPU per token). Here the
 * engine lives in a worker and each call is one message round trip; the adapter above it
 * (pglite.ts: mutex, tenant scope, error mapping, migrations) is unchanged.
 *
 * Failure is closed: if the worker dies, every pending and later call rejects with an error
 * without a SQLSTATE, which the adapter reports as `db_unavailable`.
 *
 * The platform runs from TypeScript sources through tsx; Node 20 workers do not inherit the
 * loader, so the worker bootstraps it (resolved from this module, not from the process cwd)
 * before importing its entry.
 */
import { Worker } from 'node:worker_threads';
import type { EngineMethod, EngineResult, PgliteEngine } from './pglite-engine.ts';

type Call =
  | { readonly method: EngineMethod; readonly args: readonly unknown[] }
  | { readonly method: 'close' };

export type WorkerRequest = Call & { readonly id: number };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** PostgreSQL's error fields (SQLSTATE `code`, `constraint`, …), when the engine sent them. */
  readonly fields: Readonly<Record<string, string | number>>;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

const PG_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

export function serializeError(error: unknown): SerializedError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const fields: Record<string, string | number> = {};
  for (const name of PG_FIELDS) {
    const v = e[name];
    if (typeof v === 'string' || typeof v === 'number') fields[name] = v;
  }
  return {
    name: typeof e['name'] === 'string' ? e['name'] : 'Error',
    message: typeof e['message'] === 'string' ? e['message'] : String(error),
    fields,
  };
}

export function deserializeError(s: SerializedError): Error {
  const error = new Error(s.message);
  error.name = s.name;
  return Object.assign(error, s.fields);
}

function bootstrap(): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./pglite-worker-thread.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

export function workerEngine(dataDir: string): PgliteEngine {
  const worker = new Worker(bootstrap(), { eval: true, workerData: { dataDir } });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextId = 1;
  let dead: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  // A failed start is reported by the first call; never an unhandled rejection meanwhile.
  ready.catch(() => undefined);

  function fail(error: Error): void {
    dead ??= error;
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  }

  worker.on('message', (message: WorkerReply) => {
    const p = pending.get(message.id);
    if (p === undefined) return;
    pending.delete(message.id);
    if (message.ok) p.resolve(message.value);
    else p.reject(deserializeError(message.error));
  });
  worker.on('error', (error) => fail(new Error(`pglite worker failed: ${error.message}`)));
  worker.on('exit', (code) => fail(new Error(`pglite worker exited (${code})`)));

  async function call<T>(request: Call): Promise<T> {
    await ready;
    if (dead !== undefined) throw dead;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  const method =
    <T>(name: EngineMethod) =>
    (...args: unknown[]) =>
      call<T>({ method: name, args });

  return {
    execBatch: method<string[]>('execBatch'),
    query: method<EngineResult>('query'),
    typedQuery: method<EngineResult>('typedQuery'),
    exec: method<void>('exec'),
    transaction: method<EngineResult[]>('transaction'),
    async close() {
      if (dead === undefined) {
        try {
          await call<void>({ method: 'close' });
        } catch {
          // already failing: terminate below regardless
        }
      }
      // Closed means closed, whether or not the exit event has been delivered yet.
      fail(new Error('pglite worker closed'));
      await worker.terminate();
    },
  };
}
