/**
 * One call into the PGlite engine per statement. `PGlite.query` makes six (Parse, Describe
 * statement, Bind, Describe portal, Execute, Sync — each a separate pass through the WASM main
 * loop), and the engine crossing dominates a short statement. Here the whole extended-query
 * sequence (PostgreSQL protocol §55.2.3: Parse, Bind, Describe, Execute, Sync) goes as ONE
 * buffer, which PGlite processes message by message in a single `execProtocol` call.
 *
 * A whole transaction can go the same way (`transactionOneCall`): the scope prologue, every
 * statement and the COMMIT in one buffer, one engine call instead of one per part.
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

/** One extended-query cycle (protocol §55.2.3): Parse, Bind, Describe portal, Execute, Sync. */
function extendedQuery(text: string, values: (string | null)[]): Uint8Array[] {
  const { serialize } = protocol;
  return [
    serialize.parse({ text }),
    serialize.bind({ values }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ];
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
  const { messages } = await db.execProtocol(concat(extendedQuery(text, values)), {
    syncToFs: false,
  });
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

/** The messages of one buffer, split after each ReadyForQuery (one group per Query or Sync). */
function splitAtReadyForQuery(messages: readonly unknown[]): unknown[][] {
  const groups: unknown[][] = [[]];
  for (const m of messages) {
    groups[groups.length - 1]!.push(m);
    if (m instanceof protocol.messages.ReadyForQueryMessage) groups.push([]);
  }
  return groups;
}

/**
 * `begin` (a simple-query batch opening the transaction and its scope), each statement as
 * Parse/Bind/Describe/Execute/Sync, and `COMMIT`, in ONE engine call; the caller holds the
 * connection. Undefined when a parameter is not a primitive (the caller then makes one call per
 * part). Fail-closed by protocol: after any error the transaction is aborted, so every later
 * statement fails (25P02) and the COMMIT reports ROLLBACK; nothing is committed and no
 * transaction is left open. The first error is thrown, as PGlite's `DatabaseError` (with
 * SQLSTATE `code`), so callers see what a one-call-per-part transaction would have thrown.
 */
export async function transactionOneCall<T>(
  db: PGlite,
  begin: string,
  statements: readonly { readonly text: string; readonly params?: readonly unknown[] }[],
): Promise<Results<T>[] | undefined> {
  const parts: Uint8Array[] = [protocol.serialize.query(begin)];
  for (const statement of statements) {
    const values = textValues(statement.params ?? []);
    if (values === undefined) return undefined;
    parts.push(...extendedQuery(statement.text, values));
  }
  parts.push(protocol.serialize.query('COMMIT'));
  const { messages } = await db.execProtocol(concat(parts), {
    syncToFs: false,
    throwOnError: false,
  });
  const failure = messages.find((m) => m instanceof protocol.messages.DatabaseError);
  if (failure !== undefined) throw failure;
  const groups = splitAtReadyForQuery(messages);
  // groups: [begin, ...statements, COMMIT, (empty tail)]
  const commit = groups[statements.length + 1] ?? [];
  const committed = commit.some(
    (m) => m instanceof protocol.messages.CommandCompleteMessage && m.text === 'COMMIT',
  );
  if (!committed) throw new Error('transaction aborted');
  return statements.map(
    (_, i) =>
      parse.parseResults(
        groups[i + 1] as Parameters<typeof parse.parseResults>[0],
        db.parsers,
      )[0] as Results<T>,
  );
}
