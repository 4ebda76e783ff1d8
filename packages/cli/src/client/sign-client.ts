import path from 'node:path';
import { rename, rm, writeFile } from 'node:fs/promises';
import { isSha256Digest } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import { cliClientError } from './errors.ts';
import type { DpopSession } from './dpop-session.ts';
import { jsonOf } from './https-client.ts';
import { refusedError } from './response-error.ts';

/**
 * The signer half of `stella sign` (PLATFORM.md §5): the request names each subject by digest
 * and points the signer at the tenant's evidence store (`source: evidence:sha256:<hex>`) so it
 * re-hashes the real bytes before signing; the answer is the bundle `{envelope, receipt}`.
 */
export interface SignSubjectInput {
  readonly name: string;
  readonly digest: string;
}

export interface SignRequestBody {
  readonly subject: readonly {
    name: string;
    digest: { sha256: string };
    source: string;
  }[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
  readonly attest: true;
}

export interface Bundle {
  readonly envelope: Readonly<Record<string, unknown>>;
  readonly receipt: Readonly<Record<string, unknown>>;
}

export function buildSignRequest(
  subjects: readonly SignSubjectInput[],
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
): SignRequestBody {
  if (!URL.canParse(predicateType) || /\s/.test(predicateType)) {
    throw new UsageError(
      '--predicate-type must be an absolute URI, e.g. https://slsa.dev/provenance/v1',
    );
  }
  if (subjects.length === 0) throw new UsageError('name at least one file to sign');
  return {
    subject: subjects.map((s) => {
      if (!isSha256Digest(s.digest)) throw new TypeError('subject digest must be sha256:<hex>');
      const hex = s.digest.slice('sha256:'.length);
      return { name: s.name, digest: { sha256: hex }, source: `evidence:${s.digest}` };
    }),
    predicateType,
    predicate,
    attest: true,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the signer's answer has the bundle shape (attacker-controlled until verified). */
export function parseSignResponse(value: unknown): Bundle {
  if (!isRecord(value) || !isRecord(value['envelope']) || !isRecord(value['receipt'])) {
    throw cliClientError('unexpected_response', {
      description: 'the signer answered without an envelope and receipt (was attest on?)',
    });
  }
  const envelope = value['envelope'];
  if (
    typeof envelope['payload'] !== 'string' ||
    typeof envelope['payloadType'] !== 'string' ||
    !Array.isArray(envelope['signatures']) ||
    envelope['signatures'].length === 0
  ) {
    throw cliClientError('unexpected_response', { detail: 'envelope is not DSSE' });
  }
  return { envelope, receipt: value['receipt'] };
}

export async function requestSignature(
  session: DpopSession,
  gateway: string,
  body: SignRequestBody,
): Promise<Bundle> {
  const res = await session.send({
    method: 'POST',
    url: `${gateway}/api/v1/signer/sign/dsse`,
    headers: { 'content-type': 'application/json' },
    body: () => JSON.stringify(body),
  });
  if (res.status !== 200) throw refusedError(res, 'signing');
  return parseSignResponse(jsonOf(res));
}

/** Writes the bundle atomically (temp + rename) so a reader never sees half a bundle. */
export async function writeBundle(file: string, bundle: Bundle): Promise<string> {
  const target = path.resolve(file);
  const temp = `${target}.${process.pid}.partial`;
  try {
    await writeFile(
      temp,
      `${JSON.stringify({ envelope: bundle.envelope, receipt: bundle.receipt }, null, 2)}\n`,
      {
        flag: 'wx',
      },
    );
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}
