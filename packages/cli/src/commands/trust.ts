import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Agent, request } from 'undici';
import { buildTrustFile, parseSignerKeySet } from '@stella/attestor';
import { parseJsonStrict } from '@stella/core';
import { parseVerifierKey } from '@stella/crypto';
import type { CliEnv } from '../cli-env.ts';
import { UsageError } from '../cli-env.ts';
import { PROFILE_HELP, withClient } from '../client/command-context.ts';
import { readPlatformState } from '../platform-state.ts';

interface TrustExportOptions {
  output: string;
  dataDir: string;
  profile?: string;
  signerKeys?: string;
  logVkey?: string[];
}

/** The signer's published key set over the platform CA with the admin mTLS certificate. */
async function fetchSignerKeys(dataDir: string) {
  const state = await readPlatformState(dataDir);
  const [ca, cert, key] = await Promise.all([
    readFile(state.caFile, 'utf8'),
    readFile(state.admin.certFile, 'utf8'),
    readFile(state.admin.keyFile, 'utf8'),
  ]);
  const agent = new Agent({ connect: { ca, cert, key } });
  try {
    const res = await request(new URL('/api/v1/signer/keys', state.internal.signer), {
      dispatcher: agent,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new UsageError(`signer key set answered ${res.statusCode}`);
    return parseSignerKeySet(parseJsonStrict(text));
  } finally {
    await agent.close();
  }
}

/**
 * `stella trust export [-o trust.json]`: the trust file `stella verify` needs — the signer's
 * public keys with validity windows and each tenant log's vkey (origin = the vkey's key name).
 * Online (default): signer keys from the signer's internal `GET /api/v1/signer/keys` (admin mTLS
 * from `<data-dir>/state/platform.json`) and the profile tenant's log vkey through the gateway.
 * Offline: `--signer-keys <file>` (the `{"keys":[…]}` document) and one `--log-vkey` per tenant
 * log (`--log-vkey <tenant>=<vkey>`).
 */
export function register(program: Command, env: CliEnv): void {
  const trust = program.command('trust').description('trust material for offline verification');
  trust
    .command('export')
    .description('write the trust file (signer keys + per-tenant log vkeys)')
    .option('-o, --output <file>', 'where to write the trust file', 'trust.json')
    .option('--data-dir <dir>', 'platform data dir', './.stella')
    .option('--profile <file>', PROFILE_HELP)
    .option('--signer-keys <file>', 'offline: the signer key-set JSON {"keys":[…]}')
    .option('--log-vkey <tenant=vkey...>', 'offline: a tenant log vkey (repeatable)')
    .addHelpText(
      'after',
      '\nExamples:\n  stella trust export -o trust.json\n  stella trust export --signer-keys keys.json --log-vkey demo=stella.local/tlog/demo+1a2b3c4d+AQ… -o trust.json\n',
    )
    .action(async (opts: TrustExportOptions) => {
      const signerKeys =
        opts.signerKeys === undefined
          ? await fetchSignerKeys(opts.dataDir)
          : parseSignerKeySet(parseJsonStrict(await readFile(opts.signerKeys, 'utf8')));
      const logs: { tenant: string; origin: string; vkey: string }[] = [];
      for (const entry of opts.logVkey ?? []) {
        const at = entry.indexOf('=');
        if (at <= 0) throw new UsageError('--log-vkey must be <tenant>=<vkey>');
        const vkey = entry.slice(at + 1);
        logs.push({ tenant: entry.slice(0, at), origin: parseVerifierKey(vkey).name, vkey });
      }
      if (opts.signerKeys === undefined && logs.length === 0) {
        const published = await withClient(opts, undefined, async (client) => {
          const session = await client.session('attestor', 'attestor:read');
          const res = await session.send({
            method: 'GET',
            url: new URL('/api/v1/attestor/log/vkey', client.profile.gateway).toString(),
          });
          if (res.status !== 200) throw new UsageError(`log vkey answered ${res.status}`);
          return parseJsonStrict(Buffer.from(res.body).toString('utf8')) as Record<string, unknown>;
        });
        const vkey = String(published['vkey']);
        // The origin is the vkey's key name: never trust a separately supplied origin.
        logs.push({
          tenant: String(published['tenant']),
          origin: parseVerifierKey(vkey).name,
          vkey,
        });
      }
      const file = buildTrustFile({ signerKeys, logs });
      const temp = `${opts.output}.${process.pid}.partial`;
      await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`);
      await rename(temp, opts.output);
      env.out(
        `wrote ${opts.output}: ${file.signerKeys.length} signer keys, ${file.logs.length} logs`,
      );
    });
}
