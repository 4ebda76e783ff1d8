/**
 * Filesystem content-addressed object store (PLATFORM.md §6 evidence store): objects live at
 * `<dir>/sha256/<first two hex>/<hex>`, are written once (temp → fsync → link → fsync dir) and
 * re-hashed on every read, so a corrupted or tampered file is reported, never served.
 * Files are 0600 and directories 0700: evidence bytes are readable by the service user only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { digestsEqual, formatDigest, parseDigest } from '@stella/core';
import type { ObjectStore, PutResult } from '@stella/core';
import { storageError } from '../errors.ts';
import { DIR_MODE, FILE_MODE, publishOnce } from './fs-durability.ts';

export interface FsObjectStoreOptions {
  /** Root directory; created (0700) when missing. */
  readonly dir: string;
}

export function createFsObjectStore(options: FsObjectStoreOptions): ObjectStore {
  const root = path.resolve(options.dir);
  const tmpDir = path.join(root, 'tmp');

  // The hex is validated by parseDigest/formatDigest first, so it cannot contain path separators.
  const objectPath = (hex: string) => path.join(root, 'sha256', hex.slice(0, 2), hex);

  async function writeTemp(
    source: AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<{ tempPath: string; hex: string; size: number }> {
    await mkdir(tmpDir, { recursive: true, mode: DIR_MODE });
    const tempPath = path.join(tmpDir, `${randomBytes(16).toString('hex')}.partial`);
    const handle = await open(tempPath, 'wx', FILE_MODE);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        // Refuse as soon as the limit is crossed; never buffer or write past it.
        if (size > maxBytes)
          throw storageError('object_too_large', { detail: `limit ${maxBytes} bytes` });
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
    await handle.close();
    return { tempPath, hex: hash.digest('hex'), size };
  }

  async function putStream(
    source: AsyncIterable<Uint8Array>,
    putOptions: { maxBytes: number; expectedDigest?: string },
  ): Promise<PutResult> {
    if (!Number.isSafeInteger(putOptions.maxBytes) || putOptions.maxBytes < 0) {
      throw new TypeError('maxBytes must be a non-negative integer');
    }
    // Parse the (attacker-supplied) expected digest before reading a single byte.
    const expected =
      putOptions.expectedDigest === undefined ? undefined : parseDigest(putOptions.expectedDigest);
    const { tempPath, hex, size } = await writeTemp(source, putOptions.maxBytes);
    const digest = formatDigest(hex);
    if (expected !== undefined && !digestsEqual(expected.hex, hex)) {
      await unlink(tempPath).catch(() => undefined);
      throw storageError('digest_mismatch', {
        detail: `expected sha256:${expected.hex}, got ${digest}`,
      });
    }
    const created = await publishOnce(tempPath, objectPath(hex));
    return { digest, size, created };
  }

  return {
    put(bytes) {
      return putStream(
        (async function* () {
          yield bytes;
        })(),
        { maxBytes: bytes.byteLength },
      );
    },
    putStream,
    async get(digest) {
      const { hex } = parseDigest(digest);
      let bytes: Buffer;
      try {
        bytes = await readFile(objectPath(hex));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (!digestsEqual(actual, hex))
        throw storageError('object_corrupted', { detail: `object ${digest}` });
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async has(digest) {
      const { hex } = parseDigest(digest);
      try {
        return (await stat(objectPath(hex))).isFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
  };
}
