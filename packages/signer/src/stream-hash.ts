import { createHash } from 'node:crypto';

export type StreamHashResult =
  | { readonly ok: true; readonly hex: string; readonly size: number }
  | { readonly ok: false; readonly reason: 'too_large' };

/**
 * SHA-256 over a byte stream, refusing as soon as more than `maxBytes` arrive. Nothing is
 * buffered beyond the current chunk, so a large artifact costs O(1) memory (issue 5: streaming
 * hash, no whole-file buffering beyond the cap).
 */
export async function hashStream(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<StreamHashResult> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > maxBytes) return { ok: false, reason: 'too_large' };
    hash.update(chunk);
  }
  return { ok: true, hex: hash.digest('hex'), size };
}
