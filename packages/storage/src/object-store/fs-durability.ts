/**
 * Durable write-once publication on a POSIX filesystem: a temp file is fsynced, then hard-linked
 * to its final name (link(2) fails with EEXIST instead of replacing, so an existing object is
 * never overwritten — not even by identical bytes racing in), and the directory holding the new
 * name is fsynced so the link survives a crash.
 */
import { link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Publishes `tempPath` at `finalPath`; returns false when `finalPath` already existed. */
export async function publishOnce(tempPath: string, finalPath: string): Promise<boolean> {
  await mkdir(path.dirname(finalPath), { recursive: true, mode: DIR_MODE });
  try {
    await link(tempPath, finalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(tempPath).catch(() => undefined);
  }
  await fsyncDir(path.dirname(finalPath));
  return true;
}
