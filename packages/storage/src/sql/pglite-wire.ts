/**
 * One call into the PGlite engine per statement. `PGlite.query` makes six (Parse, Describe
 * statement, Bind, Describe portal, Execute, Sync — each a separate pass through the WASM main
 * loop), and the engine crossing dominates a short statement. Here the whole extended-query
 * sequence (PostgreSQL protocol §55.2.3: Parse, Bind, Describe, Execute, Sync) goes as ONE
 * buffer, which PGlite processes message by message in a single `execProtocol` call.
 *
 * Parameters still travel as bound text values (never inlined); only primitives take this path
 * (their text form is what PGlite's own serialisers produce), anything else (bytes, dates,
 * objects) falls back to `PGlite.query`, which serialises by the described parameter types.
 */
import { parse, protocol } from '@electric-sql/pglite';
import type { PGlite, Results } from '@electric-sql/pglite';

type Primitive = string | number | bigint | boolean | null | undefined;

function textValues(params: readonly unknown[]): (string | null)[] | undefined {
  const values: (string | null)[] = [];
  for (const p of params as readonly Primitive[]) {
    if (p === null || p === undefined) values.push(null);
    else if (typeof p === 'string') values.push(p);
    else if (typeof p === 'number' || typeof p === 'bigint' || typeof p === 'boolean') {
      values.push(String(p));
    } else return undefined;
  }
  return values;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Runs one parameterised statement in a single engine call; the caller holds the connection
 * (the adapter's mutex). Errors surface as PGlite's `DatabaseError` (with SQLSTATE `code`),
 * after the Sync in the same buffer has closed the failed extended-query cycle.
 */
export async function queryOneCall<T>(
  db: PGlite,
  text: string,
  params: readonly unknown[] = [],
): Promise<Results<T>> {
  const values = textValues(params);
  if (values === undefined) return db.query<T>(text, [...params]);
  const { serialize } = protocol;
  const message = concat([
    serialize.parse({ text }),
    serialize.bind({ values }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
  const { messages } = await db.execProtocol(message, { syncToFs: false });
  return parse.parseResults(messages, db.parsers)[0] as Results<T>;
}

/**
 * A simple-query (protocol §55.2.2) batch with no parameters, in one engine call; returns the
 * command tags, so COMMIT can tell a commit from the ROLLBACK of an aborted transaction.
 * Only for fixed SQL and values already validated as identifiers by the caller.
 */
export async function execOneCall(db: PGlite, sql: string): Promise<string[]> {
  const { messages } = await db.execProtocol(protocol.serialize.query(sql), { syncToFs: false });
  const tags: string[] = [];
  for (const m of messages) {
    if (m instanceof protocol.messages.CommandCompleteMessage) tags.push(m.text);
  }
  return tags;
}
