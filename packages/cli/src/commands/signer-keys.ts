/**
 * `stella signer keys rotate | list | revoke`: the signer's key history as a state file of secret
 * references (see @stella/signer key-state). Rotation generates a key into the key directory
 * (PKCS#8 PEM, mode 0600), and rewrites the state file atomically so the new key activates at a
 * future instant; every signer replica re-reads the file before then (no restart, no gap).
 *
 * Plumbing note: there is no signer admin route in `CliEnv` (it only reaches the Authority's
 * `/internal/*`), so this command operates on the state file the signer is configured with.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { generateSigningKey, keyFingerprint } from '@stella/crypto';
import { formatKeyState, parseKeyState, revokeKeyState, rotateKeyState } from '@stella/signer';
import type { KeyState } from '@stella/signer';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';

interface StateOptions {
  state: string;
  json?: boolean;
}

async function readState(file: string): Promise<KeyState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw error;
  }
  return parseKeyState(text);
}

/** temp → rename: readers see the old file or the new one, never a torn write. */
async function writeState(file: string, state: KeyState): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  await writeFile(temp, formatKeyState(state), { mode: 0o600, flag: 'wx' });
  await rename(temp, file);
}

function printState(env: CliEnv, state: KeyState, json: boolean | undefined): void {
  if (json === true) return env.out(JSON.stringify(state));
  for (const k of state.keys) {
    env.out(`${k.keyid}\t${k.alg}\t${k.notBefore}\t${k.notAfter ?? '-'}\t${k.revokedAt ?? '-'}`);
  }
}

export function register(program: Command, env: CliEnv): void {
  const signer =
    program.commands.find((c) => c.name() === 'signer') ??
    program.command('signer').description('Signer administration');
  const keys = signer.command('keys').description('DSSE signing keys (key state file)');
  keys
    .command('rotate')
    .description('generate a signing key that activates after --activate-in seconds')
    .requiredOption('--state <file>', 'signer key state file (signer config keyStatePath)')
    .requiredOption('--key-dir <dir>', 'directory for the new private key (referenced as file:)')
    .option('--alg <alg>', 'EdDSA (Ed25519, default) or ES256 (P-256)', 'EdDSA')
    .option(
      '--activate-in <seconds>',
      'delay before the new key signs (> signer reload interval)',
      '60',
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: StateOptions & { keyDir: string; alg: string; activateIn: string }) => {
      if (opts.alg !== 'EdDSA' && opts.alg !== 'ES256')
        throw new UsageError('--alg must be EdDSA or ES256');
      const delay = Number(opts.activateIn);
      if (!Number.isInteger(delay) || delay < 0)
        throw new UsageError('--activate-in must be whole seconds');
      const state = await readState(opts.state);
      const { privateKey } = generateSigningKey(opts.alg);
      const keyid = keyFingerprint(privateKey);
      await mkdir(opts.keyDir, { recursive: true, mode: 0o700 });
      const keyFile = path.resolve(opts.keyDir, `${keyid}.pem`);
      await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
        flag: 'wx',
      });
      await chmod(keyFile, 0o600);
      const next = rotateKeyState(state, {
        keyid,
        alg: opts.alg,
        privateKey: `file:${keyFile}`,
        activateAt: Date.now() + delay * 1000,
      });
      await writeState(opts.state, next);
      if (opts.json === true)
        return env.out(JSON.stringify({ keyid, activatesAt: next.keys.at(-1)?.notBefore }));
      env.out(`new signing key ${keyid} activates at ${next.keys.at(-1)?.notBefore ?? ''}`);
    });
  keys
    .command('list')
    .description('list keys: keyid, alg, notBefore, notAfter, revokedAt')
    .requiredOption('--state <file>', 'signer key state file')
    .option('--json', 'print one JSON document')
    .action(async (opts: StateOptions) => printState(env, await readState(opts.state), opts.json));
  keys
    .command('revoke')
    .description('revoke a key from now on (it stays published so the revocation is visible)')
    .requiredOption('--state <file>', 'signer key state file')
    .requiredOption('--keyid <hex>', 'the key fingerprint to revoke')
    .option('--json', 'print one JSON document')
    .action(async (opts: StateOptions & { keyid: string }) => {
      const state = await readState(opts.state);
      if (!state.keys.some((k) => k.keyid === opts.keyid)) throw new UsageError('unknown keyid');
      const next = revokeKeyState(state, opts.keyid, Date.now());
      await writeState(opts.state, next);
      printState(env, next, opts.json);
    });
}
