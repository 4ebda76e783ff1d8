/**
 * The PGlite calls the adapter makes, as one small interface with two implementations: the engine
 * on this thread, or the same engine in a worker thread (pglite-worker.ts) so the database's WASM
 * work runs off the service's event loop. Both run exactly the functions below on a `PGlite`
 * instance; the worker only adds the message hop.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Results } from '@electric-sql/pglite';
import { execOneCall, queryOneCall, transactionOneCall } from './pglite-wire.ts';

export interface EngineResult {
  readonly rows: Record<string, unknown>[];
  readonly affectedRows: number | undefined;
}

export interface PgliteEngine {
  /** A parameterless simple-query batch in one engine call; returns the command tags. */
  execBatch(sql: string): Promise<string[]>;
  /** One parameterised statement in one engine call (bound parameters, never inlined). */
  query(text: string, params?: readonly unknown[]): Promise<EngineResult>;
  /** PGlite's own typed `query` (the migration runner's path). */
  typedQuery(text: string, params?: readonly unknown[]): Promise<EngineResult>;
  /** A multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * `begin` (a simple-query batch opening the transaction and its scope), the statements, then
   * COMMIT — in one engine call when every parameter is a primitive (pglite-wire.ts), and one
   * call per method call either way, so a worker engine makes one hop for the whole transaction. Rolls
   * back on any error; a COMMIT that reports anything else throws (no SQLSTATE: the transaction
   * was aborted).
   */
  transaction(
    begin: string,
    statements: readonly { readonly text: string; readonly params?: readonly unknown[] }[],
  ): Promise<EngineResult[]>;
  close(): Promise<void>;
}

export type EngineMethod = Exclude<keyof PgliteEngine, 'close'>;

const toEngineResult = (r: Results<Record<string, unknown>>): EngineResult => ({
  rows: r.rows,
  affectedRows: r.affectedRows,
});

/** The engine over a PGlite instance on the calling thread (also what the worker runs). */
export function engineOver(db: PGlite): PgliteEngine {
  const engine: PgliteEngine = {
    async execBatch(sql) {
      await db.waitReady;
      return execOneCall(db, sql);
    },
    async query(text, params) {
      await db.waitReady;
      return toEngineResult(await queryOneCall<Record<string, unknown>>(db, text, params));
    },
    async typedQuery(text, params) {
      await db.waitReady;
      return toEngineResult(
        await db.query<Record<string, unknown>>(
          text,
          params === undefined ? undefined : [...params],
        ),
      );
    },
    async exec(sql) {
      await db.waitReady;
      await db.exec(sql);
    },
    async transaction(begin, statements) {
      await db.waitReady;
      const oneCall = await transactionOneCall<Record<string, unknown>>(db, begin, statements);
      if (oneCall !== undefined) {
        return oneCall.map(toEngineResult);
      }
      // A non-primitive parameter: one call per part, typed by PGlite's own serialisers.
      const results: EngineResult[] = [];
      try {
        // Inside the try: BEGIN may have run before a later part of the batch failed.
        await engine.execBatch(begin);
        for (const statement of statements) {
          results.push(await engine.query(statement.text, statement.params));
        }
      } catch (error) {
        await engine.execBatch('ROLLBACK').catch(() => undefined);
        throw error;
      }
      const tags = await engine.execBatch('COMMIT');
      if (tags[0] !== 'COMMIT') throw new Error('transaction aborted');
      return results;
    },
    close: () => db.close(),
  };
  return engine;
}

export function inThreadEngine(dataDir: string): PgliteEngine {
  return engineOver(new PGlite(dataDir));
}
