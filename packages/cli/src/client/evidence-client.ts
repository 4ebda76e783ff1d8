import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isSha256Digest } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import { cliClientError } from './errors.ts';
import type { DpopSession } from './dpop-session.ts';
import { jsonOf } from './https-client.ts';
import { digestFile } from './file-digest.ts';
import { refusedError } from './response-error.ts';

/**
 * Evidence store calls through the gateway (PLATFORM.md §6, issue 6 wire table). Uploads send
 * the digest computed beforehand as `X-Content-Digest`, so the attestor refuses (422, nothing
 * stored) bytes that changed in flight; downloads are re-hashed before anyone trusts them.
 */
export interface EvidenceRef {
  readonly digest: string;
  readonly size: number;
}

export async function putEvidence(
  session: DpopSession,
  gateway: string,
  file: string,
): Promise<EvidenceRef> {
  const local = await digestFile(file);
  const res = await session.send({
    method: 'PUT',
    url: `${gateway}/api/v1/evidence`,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(local.size),
      'x-content-digest': local.digest,
    },
    body: () => createReadStream(file),
  });
  if (res.status !== 200 && res.status !== 201) throw refusedError(res, 'evidence upload');
  const body = jsonOf(res) as Record<string, unknown>;
  // The store's answer must name exactly the bytes we hashed (content addressing, §6).
  if (body['digest'] !== local.digest || body['size'] !== local.size) {
    throw cliClientError('digest_mismatch', {
      description: `the evidence store answered a different digest or size for ${file}`,
    });
  }
  return { digest: local.digest, size: local.size };
}

export async function getEvidence(
  session: DpopSession,
  gateway: string,
  digest: string,
): Promise<Uint8Array> {
  if (!isSha256Digest(digest)) {
    throw new UsageError(
      `${digest.slice(0, 80)} is not a digest; expected sha256:<64 lowercase hex>`,
    );
  }
  const res = await session.send({ method: 'GET', url: `${gateway}/api/v1/evidence/${digest}` });
  if (res.status !== 200) throw refusedError(res, 'evidence download');
  const actual = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
  if (actual !== digest) {
    throw cliClientError('digest_mismatch', { detail: `received ${actual}` });
  }
  return res.body;
}
