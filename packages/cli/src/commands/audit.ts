import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';
import { readPlatformState } from '../platform-state.ts';
import { exportAudit } from '../client/audit-export.ts';
import { parseJwks, TENANT_OR_PLATFORM } from '../client/audit-manifest.ts';
import { verifyAuditExport } from '../client/audit-verify.ts';
import { createHttpClientFromFiles, jsonOf } from '../client/https-client.ts';
import { createProgress } from '../client/progress.ts';
import { cliClientError } from '../client/errors.ts';

interface ExportOptions {
  tenant: string;
  since?: string;
  output: string;
  dataDir: string;
  json?: boolean;
}

interface VerifyOptions {
  trust?: string;
  json?: boolean;
}

/**
 * `stella audit export|verify` (PLATFORM.md §7 "Audit"): export a tenant's hash-chained audit
 * log with the Authority's signed head, and verify such an export offline.
 */
export function registerAudit(program: Command, env: CliEnv): void {
  const audit = program
    .command('audit')
    .description('export and verify the hash-chained audit log');

  audit
    .command('export')
    .description("export a tenant's audit chain to <dir>/events.ndjson + manifest.json (admin)")
    .requiredOption(
      '--tenant <tenant>',
      'tenant whose chain to export (_platform for platform events)',
    )
    .option('--since <time>', 'RFC 3339: start at the first event at or after this time')
    .requiredOption('-o, --output <dir>', 'directory to write the export into')
    .option('--data-dir <dir>', 'data dir of the running platform (admin credential)', './.stella')
    .option('--json', 'print the manifest summary as JSON, no progress')
    .addHelpText(
      'after',
      '\nExample:\n  stella audit export --tenant default -o audit-2025-01\n  stella audit verify audit-2025-01\n',
    )
    .action(async (opts: ExportOptions) => {
      if (!TENANT_OR_PLATFORM.test(opts.tenant))
        throw new UsageError('--tenant must be a tenant id');
      const state = await readPlatformState(opts.dataDir);
      const progress = createProgress(env, opts.json);
      const manifest = await exportAudit({
        tenant: opts.tenant,
        ...(opts.since === undefined ? {} : { since: opts.since }),
        outDir: opts.output,
        fetchPage: (afterSeq) =>
          env.adminRequest(
            opts.dataDir,
            'GET',
            `/internal/audit?tenant=${encodeURIComponent(opts.tenant)}&afterSeq=${afterSeq}&limit=1000`,
          ),
        fetchJwks: async () => {
          const http = await createHttpClientFromFiles({ caFile: state.caFile });
          try {
            const res = await http.send({
              method: 'GET',
              url: `${state.issuer.replace(/\/+$/, '')}/jwks`,
            });
            return res.status === 200 ? jsonOf(res) : undefined;
          } finally {
            await http.close();
          }
        },
        progress,
        now: () => new Date(),
      });
      const summary = {
        dir: path.resolve(opts.output),
        tenant: manifest.tenant,
        count: manifest.count,
        firstSeq: manifest.firstSeq,
        lastSeq: manifest.lastSeq,
        headHash: manifest.headHash,
      };
      if (opts.json === true) env.out(JSON.stringify(summary));
      else {
        env.out(
          `exported ${manifest.count} record(s) of tenant ${manifest.tenant} (seq ${manifest.firstSeq}..${manifest.lastSeq})`,
        );
        env.out(`head ${manifest.headHash}`);
        env.out(`verify offline: stella audit verify ${opts.output}`);
      }
    });

  audit
    .command('verify')
    .description('verify an audit export offline: hash chain, file digest, signed head')
    .argument('<dir>', 'directory written by `stella audit export`')
    .option(
      '--trust <file>',
      'JWKS (or a file with an "authorityJwks" JWKS) to trust instead of the manifest keys',
    )
    .option('--json', 'print the verification result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  stella audit verify audit-2025-01 --trust authority-jwks.json\n',
    )
    .action(async (dir: string, opts: VerifyOptions) => {
      const read = async (name: string) => {
        try {
          return await readFile(path.join(dir, name));
        } catch {
          throw new UsageError(`cannot read ${path.join(dir, name)}; is ${dir} an audit export?`);
        }
      };
      const [manifest, events] = await Promise.all([read('manifest.json'), read('events.ndjson')]);
      const trustedJwks = opts.trust === undefined ? undefined : await readTrust(opts.trust);
      const result = await verifyAuditExport({
        manifestText: manifest.toString('utf8'),
        eventsBytes: events,
        ...(trustedJwks === undefined ? {} : { trustedJwks }),
      });
      if (opts.json === true) env.out(JSON.stringify(result));
      else {
        for (const step of result.steps)
          env.out(`${step.ok ? 'ok  ' : 'FAIL'} ${step.step}: ${step.detail}`);
        env.out(
          result.ok
            ? 'audit export verified'
            : `audit export NOT verified: ${result.failedStep ?? ''} failed`,
        );
      }
      // Exit 1 through main's error path (no process globals): the step was printed above.
      if (!result.ok) {
        throw cliClientError('verification_failed', { detail: result.failedStep ?? 'unknown' });
      }
    });
}

async function readTrust(file: string) {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new UsageError(`cannot read --trust ${file} as JSON`);
  }
  const nested =
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)['authorityJwks']
      : undefined;
  const jwks = parseJwks(nested ?? value);
  if (jwks === undefined)
    throw new UsageError(`--trust ${file} holds no JWKS ({"keys":[…]} or {"authorityJwks":{…}})`);
  return jwks;
}

export const register = registerAudit;
