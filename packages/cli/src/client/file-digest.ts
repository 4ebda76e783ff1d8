import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UsageError } from '../cli-env.ts';

/** SHA-256 and size of a file, streamed (evidence files may be larger than memory allows). */
export async function digestFile(
  file: string,
): Promise<{ digest: string; hex: string; size: number }> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
  if (!info.isFile()) throw new UsageError(`${file} is not a regular file`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const hex = hash.digest('hex');
  return { digest: `sha256:${hex}`, hex, size };
}
