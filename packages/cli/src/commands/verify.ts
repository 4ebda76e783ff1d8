import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseTrustFile, verifyBundle } from '@stella/attestor';
import { parseJsonStrict } from '@stella/core';
import type { CliEnv } from '../cli-env.ts';
import { UsageError } from '../cli-env.ts';
import { cliClientError } from '../client/errors.ts';

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${file}`);
  }
  try {
    return parseJsonStrict(text);
  } catch {
    throw new UsageError(`${what} ${file} is not strict JSON`);
  }
}

/**
 * `stella verify <artifact> --bundle <bundle.json> --trust <trust.json> [--json]` — offline, no
 * network (PLATFORM.md §6): artifact digest → subject → DSSE signature by a signer key valid at
 * the log's integratedTime → leaf data → inclusion proof → checkpoint signature. Exit 0 only when
 * every step passes; otherwise the failing step is printed and the exit code is 1.
 */
export function register(program: Command, env: CliEnv): void {
  program
    .command('verify')
    .description('verify an artifact against a signed bundle and a trust file, offline')
    .argument('<artifact-file>', 'the artifact bytes to verify')
    .requiredOption('--bundle <file>', 'bundle JSON {"envelope","receipt"} written by stella sign')
    .requiredOption('--trust <file>', 'trust file from stella trust export')
    .option('--json', 'print the step results as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  stella verify app.tar --bundle app.bundle.json --trust trust.json\n',
    )
    .action(
      async (artifactFile: string, opts: { bundle: string; trust: string; json?: boolean }) => {
        let artifactBytes: Uint8Array;
        try {
          artifactBytes = await readFile(artifactFile);
        } catch {
          throw new UsageError(`cannot read artifact ${artifactFile}`);
        }
        const bundle = await readJson(opts.bundle, 'bundle');
        let trust;
        try {
          trust = parseTrustFile(await readJson(opts.trust, 'trust file'));
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError(`trust file ${opts.trust} is malformed`);
        }
        const result = verifyBundle({ artifactBytes, bundle, trust });
        if (opts.json === true) {
          env.out(JSON.stringify(result));
        } else {
          for (const step of result.steps) {
            env.out(
              `${step.ok ? 'ok  ' : 'FAIL'} ${step.step}${step.code === undefined ? '' : ` (${step.code})`}`,
            );
          }
          env.out(
            result.ok ? 'verified' : `verification failed at step ${result.failedStep ?? '?'}`,
          );
        }
        if (!result.ok) {
          throw cliClientError('verification_failed', { detail: result.failedStep ?? 'unknown' });
        }
      },
    );
}
