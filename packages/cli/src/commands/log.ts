import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseTrustFile } from '@stella/attestor';
import { parseJsonStrict } from '@stella/core';
import {
  decodeBase64Standard,
  encodeBase64,
  openCheckpoint,
  parseVerifierKey,
  rfc6962Hasher,
  verifyConsistency,
} from '@stella/crypto';
import type { CliEnv } from '../cli-env.ts';
import { UsageError } from '../cli-env.ts';
import { PROFILE_HELP, withClient } from '../client/command-context.ts';

interface LogCheckOptions {
  tenant: string;
  state?: string;
  trust: string;
  dataDir: string;
  profile?: string;
}

interface SavedCheckpoint {
  origin: string;
  size: number;
  root: string;
  note: string;
}

/**
 * `stella log check --tenant <t> [--state <file>] --trust <trust.json>`: what an external witness
 * does (C2SP tlog-witness in spirit). Fetches the latest checkpoint through the gateway, verifies
 * its signature with the tenant log's vkey from the trust file (never one the server offers),
 * proves it consistent with the saved checkpoint (RFC 9162 §2.1.4), and only then saves it.
 */
export function register(program: Command, env: CliEnv): void {
  const log = program.command('log').description('transparency log monitoring');
  log
    .command('check')
    .description('verify the tenant log grew append-only since the saved checkpoint')
    .requiredOption('--tenant <t>', 'the tenant whose log to check')
    .option('--state <file>', 'saved checkpoint (created on first run)')
    .option('--trust <file>', 'trust file holding the log vkey', 'trust.json')
    .option('--data-dir <dir>', 'platform data dir (for the default profile)', './.stella')
    .option('--profile <file>', PROFILE_HELP)
    .action(async (opts: LogCheckOptions) => {
      const stateFile = opts.state ?? `${opts.tenant}.checkpoint.json`;
      const trust = parseTrustFile(parseJsonStrict(await readFile(opts.trust, 'utf8')));
      const entry = trust.logs.find((l) => l.tenant === opts.tenant);
      if (entry === undefined) throw new UsageError(`trust file has no log for ${opts.tenant}`);
      const verifier = parseVerifierKey(entry.vkey);
      let saved: SavedCheckpoint | undefined;
      try {
        saved = parseJsonStrict(await readFile(stateFile, 'utf8')) as unknown as SavedCheckpoint;
      } catch {
        saved = undefined;
      }
      await withClient(opts, undefined, async (client) => {
        const session = await client.session('attestor', 'attestor:read');
        const get = async (path: string) => {
          const res = await session.send({
            method: 'GET',
            url: new URL(path, client.profile.gateway).toString(),
            headers: { 'x-stellaops-tenant': opts.tenant },
          });
          if (res.status !== 200) throw new UsageError(`${path} answered ${res.status}`);
          return Buffer.from(res.body).toString('utf8');
        };
        const note = await get('/api/v1/attestor/log/checkpoint');
        const { checkpoint } = openCheckpoint(note, [verifier], { expectedOrigin: entry.origin });
        if (saved !== undefined) {
          const oldRoot = decodeBase64Standard(String(saved.root), 'invalid_proof');
          if (saved.origin !== entry.origin || checkpoint.size < saved.size) {
            throw new UsageError(`log ${entry.origin} shrank or changed origin: NOT consistent`);
          }
          if (checkpoint.size === saved.size) {
            if (encodeBase64(checkpoint.rootHash) !== saved.root) {
              throw new UsageError(
                `log ${entry.origin} forked at size ${saved.size}: NOT consistent`,
              );
            }
          } else if (saved.size > 0) {
            const body = parseJsonStrict(
              await get(
                `/api/v1/attestor/log/proof/consistency?from=${saved.size}&to=${checkpoint.size}`,
              ),
            ) as { hashes?: unknown };
            const hashes = Array.isArray(body.hashes) ? body.hashes : [];
            verifyConsistency(
              rfc6962Hasher,
              saved.size,
              checkpoint.size,
              hashes.map((h) => decodeBase64Standard(String(h), 'invalid_proof')),
              oldRoot,
              checkpoint.rootHash,
            );
          }
        }
        const next: SavedCheckpoint = {
          origin: entry.origin,
          size: checkpoint.size,
          root: encodeBase64(checkpoint.rootHash),
          note,
        };
        const temp = `${stateFile}.${process.pid}.partial`;
        await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`);
        await rename(temp, stateFile);
        env.out(
          `${entry.origin}: size ${checkpoint.size}${saved === undefined ? ' (first checkpoint saved)' : ` consistent with ${saved.size}`}`,
        );
      });
    });
}
