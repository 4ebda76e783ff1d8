import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseJsonStrict } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';
import { PROFILE_HELP, withClient } from '../client/command-context.ts';
import type { ClientCommandDeps } from '../client/command-context.ts';
import { putEvidence } from '../client/evidence-client.ts';
import { createProgress } from '../client/progress.ts';
import { buildSignRequest, requestSignature, writeBundle } from '../client/sign-client.ts';

interface SignOptions {
  profile?: string;
  dataDir: string;
  predicateType: string;
  predicate?: string;
  output?: string;
  json?: boolean;
}

/**
 * `stella sign`: upload each file as evidence, ask the signer for a DSSE envelope over an
 * in-toto statement naming them (attest on, so the attestor logs it), write the bundle
 * `{envelope, receipt}` that `stella verify` checks offline (issue 6 "Formats").
 */
export function registerSign(program: Command, env: CliEnv, deps?: ClientCommandDeps): void {
  program
    .command('sign')
    .description('upload files as evidence, sign an in-toto statement over them, write a bundle')
    .argument('<file...>', 'artifacts to sign (each becomes a subject)')
    .requiredOption('--predicate-type <uri>', 'in-toto predicateType (an absolute URI)')
    .option('--predicate <json-file>', 'predicate JSON object (default {})')
    .option('-o, --output <bundle>', 'bundle file to write', 'bundle.json')
    .option('--profile <file>', PROFILE_HELP)
    .option('--data-dir <dir>', 'platform data dir (for the default profile)', './.stella')
    .option('--json', 'print {"bundle","subjects","logIndex","uuid"} and no progress')
    .addHelpText(
      'after',
      '\nExample:\n  stella sign dist/app.tgz --predicate-type https://slsa.dev/provenance/v1 \\\n    --predicate provenance.json -o app.bundle.json\n',
    )
    .action(async (files: string[], opts: SignOptions) => {
      const progress = createProgress(env, opts.json);
      let predicate: Record<string, unknown> = {};
      if (opts.predicate !== undefined) predicate = await readPredicate(opts.predicate);
      await withClient(opts, deps, async (client) => {
        const evidence = await client.session('attestor', 'evidence:write');
        const subjects = [];
        for (const file of files) {
          progress(`uploading ${file}`);
          const ref = await putEvidence(evidence, client.profile.gateway, file);
          subjects.push({ name: path.basename(file), digest: ref.digest });
        }
        const signer = await client.session('signer', 'signer:sign');
        progress(`signing ${subjects.length} subject(s) as ${opts.predicateType}`);
        const request = buildSignRequest(subjects, opts.predicateType, predicate);
        const bundle = await requestSignature(signer, client.profile.gateway, request);
        const target = await writeBundle(opts.output ?? 'bundle.json', bundle);
        const summary = {
          bundle: target,
          subjects: subjects.map((s) => ({ name: s.name, digest: s.digest })),
          logIndex: bundle.receipt['index'],
          uuid: bundle.receipt['uuid'],
        };
        if (opts.json === true) {
          env.out(JSON.stringify(summary));
          return;
        }
        env.out(
          `signed ${subjects.length} subject(s); logged at index ${String(summary.logIndex)}`,
        );
        env.out(`bundle: ${target}`);
        env.out(
          `verify offline: stella verify ${files[0] ?? '<file>'} --bundle ${target} --trust <trust.json>`,
        );
      });
    });
}

async function readPredicate(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read --predicate ${file}`);
  }
  let value: unknown;
  try {
    value = parseJsonStrict(text);
  } catch {
    throw new UsageError(`--predicate ${file} is not strict JSON (no duplicate keys)`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--predicate ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

export const register = registerSign;
