import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { canonicalizeToString, isSha256Hex } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import type { AdminResponse } from '../cli-env.ts';
import { cliClientError } from './errors.ts';
import { parseJwks } from './audit-manifest.ts';
import type { AuditManifest } from './audit-manifest.ts';
import type { Progress } from './progress.ts';

/**
 * `stella audit export`: pages through the Authority's `/internal/audit` (admin mTLS) and
 * writes `events.ndjson` (one RFC 8785 record per line) plus `manifest.json` with the
 * Authority's signed head attestation and JWKS, so `stella audit verify` needs no network.
 */
export interface AuditPage {
  readonly records: readonly {
    seq: number;
    hash: string;
    prevHash: string;
    event: Record<string, unknown>;
  }[];
  readonly nextAfterSeq: number | null;
  readonly head: { readonly seq: number; readonly hash: string };
  readonly attestation: string;
}

export interface AuditExportOptions {
  readonly tenant: string;
  /** RFC 3339: export the suffix of the chain starting at the first event at or after it. */
  readonly since?: string;
  readonly outDir: string;
  readonly fetchPage: (afterSeq: number) => Promise<AdminResponse>;
  readonly fetchJwks: () => Promise<unknown>;
  readonly progress: Progress;
  readonly now: () => Date;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one `/internal/audit` answer (shape only; the chain is checked by verify). */
export function parseAuditPage(res: AdminResponse, tenant: string): AuditPage {
  if (res.status === 404) {
    throw cliClientError('request_refused', {
      description: `the Authority has no audit for tenant ${tenant} (or no /internal/audit endpoint)`,
    });
  }
  if (res.status !== 200 || !isRecord(res.body)) {
    throw cliClientError('request_refused', {
      description: `audit export refused (${res.status})`,
    });
  }
  const b = res.body;
  const head = b['head'];
  const next = b['nextAfterSeq'];
  if (
    b['tenant'] !== tenant ||
    !Array.isArray(b['records']) ||
    !(next === null || (typeof next === 'number' && Number.isSafeInteger(next))) ||
    !isRecord(head) ||
    typeof head['seq'] !== 'number' ||
    !isSha256Hex(head['hash']) ||
    typeof b['attestation'] !== 'string'
  ) {
    throw cliClientError('unexpected_response', { detail: 'audit page shape' });
  }
  for (const r of b['records'] as unknown[]) {
    if (!isRecord(r) || typeof r['seq'] !== 'number' || !isRecord(r['event'])) {
      throw cliClientError('unexpected_response', { detail: 'audit record shape' });
    }
    if (typeof r['hash'] !== 'string' || typeof r['prevHash'] !== 'string') {
      throw cliClientError('unexpected_response', { detail: 'audit record hashes' });
    }
  }
  return {
    records: b['records'] as AuditPage['records'],
    nextAfterSeq: next,
    head: { seq: head['seq'], hash: head['hash'] },
    attestation: b['attestation'],
  };
}

const MAX_CATCH_UP_ROUNDS = 5;

export async function exportAudit(options: AuditExportOptions): Promise<AuditManifest> {
  const sinceMs = options.since === undefined ? undefined : Date.parse(options.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) {
    throw new UsageError('--since must be an RFC 3339 time, e.g. 2025-01-31T00:00:00Z');
  }
  const dir = path.resolve(options.outDir);
  await mkdir(dir, { recursive: true });
  const eventsFile = path.join(dir, 'events.ndjson');
  const temp = `${eventsFile}.partial`;
  let handle;
  try {
    handle = await open(temp, 'wx');
  } catch {
    throw new UsageError(
      `${dir} holds an unfinished export (${path.basename(temp)}); remove it or choose another -o`,
    );
  }
  const hash = createHash('sha256');
  let count = 0;
  let firstSeq: number | undefined;
  let lastSeq = 0;
  let lastHash: string | undefined;
  let final: AuditPage | undefined;
  try {
    let afterSeq = 0;
    for (let rounds = 0; ;) {
      const page = parseAuditPage(await options.fetchPage(afterSeq), options.tenant);
      for (const record of page.records) {
        if (record.seq !== lastSeq + 1) {
          throw cliClientError('unexpected_response', {
            detail: `audit seq ${record.seq} after ${lastSeq}`,
          });
        }
        lastSeq = record.seq;
        lastHash = record.hash;
        if (firstSeq === undefined) {
          const at = Date.parse(String(record.event['occurredAt'] ?? ''));
          if (sinceMs !== undefined && !(at >= sinceMs)) continue;
          firstSeq = record.seq;
        }
        const line = `${canonicalizeToString({ seq: record.seq, hash: record.hash, prevHash: record.prevHash, event: record.event })}\n`;
        hash.update(line);
        await handle.write(line);
        count += 1;
      }
      if (page.records.length > 0)
        options.progress(`exported through seq ${lastSeq} of ${page.head.seq}`);
      afterSeq = lastSeq;
      if (page.nextAfterSeq !== null) continue;
      // The last page: its attested head must be the last record (events may have been appended
      // while paging — then catch up a few times before giving up).
      if (page.head.seq === lastSeq && (lastSeq === 0 || page.head.hash === lastHash)) {
        final = page;
        break;
      }
      rounds += 1;
      if (page.head.seq < lastSeq || page.head.hash === lastHash || rounds > MAX_CATCH_UP_ROUNDS) {
        throw cliClientError('audit_export_incomplete', {
          detail: `head ${page.head.seq}, exported ${lastSeq}`,
        });
      }
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  const jwks = parseJwks(await options.fetchJwks());
  if (jwks === undefined) {
    await rm(temp, { force: true });
    throw cliClientError('unexpected_response', {
      description: 'the Authority JWKS is not a key set',
    });
  }
  await rename(temp, eventsFile);
  const manifest: AuditManifest = {
    tenant: options.tenant,
    count,
    firstSeq: firstSeq ?? final.head.seq + 1,
    lastSeq: final.head.seq,
    headHash: final.head.hash,
    eventsSha256: `sha256:${hash.digest('hex')}`,
    attestation: final.attestation,
    jwks: jwks as JSONWebKeySet,
    ...(options.since === undefined ? {} : { since: options.since }),
    exportedAt: options.now().toISOString(),
  };
  const manifestFile = path.join(dir, 'manifest.json');
  const handleM = await open(`${manifestFile}.partial`, 'w');
  await handleM.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
  await handleM.sync();
  await handleM.close();
  await rename(`${manifestFile}.partial`, manifestFile);
  return manifest;
}
