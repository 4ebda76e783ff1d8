/**
 * Read-modify-write of the signer's key state FILE, for operators' tools (`stella signer keys
 * rotate | revoke`) that change it while signer replicas read it:
 *
 * - **Exclusive.** `<file>.lock`, created with O_EXCL, serialises writers, so a concurrent
 *   rotation can never write back a state read before a revocation (a lost update would
 *   silently un-revoke a key). A held lock is refused at once, naming the lock file, the
 *   holder's pid and since when: a crashed tool's lock is removed by the operator, never
 *   broken automatically (two tools could both decide it is stale).
 * - **Atomic and durable.** The new state goes to a 0600 temp file in the same directory,
 *   fsynced, renamed over the old one, and the directory fsynced: readers see the old state or
 *   the new one, never a torn write, and the change survives a crash.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '@stella/storage';
import { formatKeyState, parseKeyState } from './key-state.ts';
import type { KeyState } from './key-state.ts';

/** Another tool holds the state file's lock. */
export class KeyStateLockedError extends Error {
  override readonly name = 'KeyStateLockedError';
}

/** The state in `file`; an empty history when the file does not exist yet. */
export async function readKeyStateFile(file: string): Promise<KeyState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw error;
  }
  return parseKeyState(text);
}

async function acquire(lock: string): Promise<() => Promise<void>> {
  let handle;
  try {
    handle = await open(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = await readFile(lock, 'utf8').catch(() => '');
    throw new KeyStateLockedError(
      `the key state is locked by another command (${holder.trim() || 'holder unknown'}): ` +
        `retry when it has finished, or remove ${lock} if no such command is running`,
    );
  }
  try {
    await handle.writeFile(`pid ${process.pid} since ${new Date().toISOString()}\n`);
  } finally {
    await handle.close();
  }
  return () => unlink(lock).catch(() => undefined);
}

/**
 * Applies `update` to the current state under the lock and writes the result atomically and
 * durably; returns the state written. Nothing is written when `update` throws.
 */
export async function updateKeyStateFile(
  file: string,
  update: (state: KeyState) => KeyState | Promise<KeyState>,
): Promise<KeyState> {
  const release = await acquire(`${file}.lock`);
  try {
    const next = await update(await readKeyStateFile(file));
    const text = formatKeyState(next);
    parseKeyState(text); // never write a state the signers could not load
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await fsyncDir(path.dirname(file));
    return next;
  } finally {
    await release();
  }
}
