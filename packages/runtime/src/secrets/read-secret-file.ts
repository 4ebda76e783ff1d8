import { open } from 'node:fs/promises';
import { MAX_SECRET_BYTES } from './provider.ts';

/**
 * Reads a secret file: regular files only (no FIFOs or devices that could block start-up), at
 * most MAX_SECRET_BYTES. Symlinks are followed on purpose: Kubernetes secret volumes are
 * symlinks into a `..data` directory that is swapped atomically on rotation.
 * Throws a plain Error with a code (never the content); the resolver maps it.
 */
export async function readSecretFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > MAX_SECRET_BYTES) throw new Error('secret file too large');
    const bytes = await handle.readFile();
    if (bytes.byteLength > MAX_SECRET_BYTES) throw new Error('secret file too large');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } finally {
    await handle.close();
  }
}
