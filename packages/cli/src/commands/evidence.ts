import { writeFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliEnv } from '../cli-env.ts';
import { PROFILE_HELP, withClient } from '../client/command-context.ts';
import type { ClientCommandDeps } from '../client/command-context.ts';
import { getEvidence, putEvidence } from '../client/evidence-client.ts';
import { createProgress } from '../client/progress.ts';

interface CommonOptions {
  profile?: string;
  dataDir: string;
  json?: boolean;
}

/**
 * `stella evidence put|get` against the tenant's content-addressed evidence store
 * (PLATFORM.md §6) through the gateway, with DPoP-bound tokens for audience `attestor`.
 */
export function registerEvidence(program: Command, env: CliEnv, deps?: ClientCommandDeps): void {
  const evidence = program
    .command('evidence')
    .description(
      'store and fetch evidence in the tenant evidence store (content-addressed, write-once)',
    );

  evidence
    .command('put')
    .description('upload a file; prints its digest and size')
    .argument('<file>', 'the file to store')
    .option('--profile <file>', PROFILE_HELP)
    .option('--data-dir <dir>', 'platform data dir (for the default profile)', './.stella')
    .option('--json', 'print {"digest","size"} only')
    .addHelpText('after', '\nExample:\n  stella evidence put sbom.cdx.json --json\n')
    .action(async (file: string, opts: CommonOptions) => {
      const progress = createProgress(env, opts.json);
      await withClient(opts, deps, async (client) => {
        const session = await client.session('attestor', 'evidence:write');
        progress(`uploading ${file}`);
        const ref = await putEvidence(session, client.profile.gateway, file);
        if (opts.json === true) env.out(JSON.stringify(ref));
        else env.out(`stored ${ref.digest} (${ref.size} bytes)`);
      });
    });

  evidence
    .command('get')
    .description('download evidence by digest; the bytes are re-hashed before the file is written')
    .argument('<digest>', 'sha256:<64 lowercase hex>')
    .requiredOption('-o, --output <file>', 'where to write the bytes')
    .option('--profile <file>', PROFILE_HELP)
    .option('--data-dir <dir>', 'platform data dir (for the default profile)', './.stella')
    .option('--json', 'print {"digest","size","file"}')
    .addHelpText('after', '\nExample:\n  stella evidence get sha256:3a7b…e1 -o sbom.cdx.json\n')
    .action(async (digest: string, opts: CommonOptions & { output: string }) => {
      await withClient(opts, deps, async (client) => {
        const session = await client.session('attestor', 'evidence:read');
        const bytes = await getEvidence(session, client.profile.gateway, digest);
        // Only verified bytes reach the target, and atomically (temp file + rename).
        const target = path.resolve(opts.output);
        const temp = `${target}.${process.pid}.partial`;
        try {
          await writeFile(temp, bytes, { flag: 'wx' });
          await rename(temp, target);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
        const result = { digest, size: bytes.length, file: target };
        if (opts.json === true) env.out(JSON.stringify(result));
        else env.out(`wrote ${target} (${bytes.length} bytes, ${digest} verified)`);
      });
    });
}

export const register = registerEvidence;
