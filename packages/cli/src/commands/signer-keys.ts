/**
 * `stella signer keys rotate | list | revoke`: the signer's key history as a state file of secret
 * references (see @stella/signer key-state). Rotation generates a key into the key directory
 * (PKCS#8 PEM, mode 0600) and records it so the new key activates at a future instant; every
 * signer replica re-reads the file before then (no restart, no gap). Changes go through
 * `updateKeyStateFile`: one command at a time (a lock file; a concurrent rotate can never undo a
 * revoke), written atomically and durably.
 *
 * Plumbing note: there is no signer admin route in `CliEnv` (it only reaches the Authority's
 * `/internal/*`), so this command operates on the state file the signer is configured with.
 */
import { chmod, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { generateSigningKey, keyFingerprint } from '@stella/crypto';
import {
  readKeyStateFile,
  revokeKeyState,
  rotateKeyState,
  updateKeyStateFile,
} from '@stella/signer';
import type { KeyState } from '@stella/signer';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';

interface StateOptions {
  state: string;
  json?: boolean;
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
      const alg = opts.alg;
      const delay = Number(opts.activateIn);
      if (!Number.isInteger(delay) || delay < 0)
        throw new UsageError('--activate-in must be whole seconds');
      const { privateKey } = generateSigningKey(alg);
      const keyid = keyFingerprint(privateKey);
      const keyFile = path.resolve(opts.keyDir, `${keyid}.pem`);
      let written = false;
      let next: KeyState;
      try {
        next = await updateKeyStateFile(opts.state, async (state) => {
          // Under the state lock: a refused lock leaves no orphan key file behind.
          await mkdir(opts.keyDir, { recursive: true, mode: 0o700 });
          await writeFile(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
            mode: 0o600,
            flag: 'wx',
          });
          written = true;
          await chmod(keyFile, 0o600);
          return rotateKeyState(state, {
            keyid,
            alg,
            privateKey: `file:${keyFile}`,
            activateAt: Date.now() + delay * 1000,
          });
        });
      } catch (error) {
        // The state does not reference the new key: do not leave its private key lying around.
        if (written) await unlink(keyFile).catch(() => undefined);
        throw error;
      }
      if (opts.json === true)
        return env.out(JSON.stringify({ keyid, activatesAt: next.keys.at(-1)?.notBefore }));
      env.out(`new signing key ${keyid} activates at ${next.keys.at(-1)?.notBefore ?? ''}`);
    });
  keys
    .command('list')
    .description('list keys: keyid, alg, notBefore, notAfter, revokedAt')
    .requiredOption('--state <file>', 'signer key state file')
    .option('--json', 'print one JSON document')
    .action(async (opts: StateOptions) =>
      printState(env, await readKeyStateFile(opts.state), opts.json),
    );
  keys
    .command('revoke')
    .description('revoke a key from now on (it stays published so the revocation is visible)')
    .requiredOption('--state <file>', 'signer key state file')
    .requiredOption('--keyid <hex>', 'the key fingerprint to revoke')
    .option('--json', 'print one JSON document')
    .action(async (opts: StateOptions & { keyid: string }) => {
      const next = await updateKeyStateFile(opts.state, (state) => {
        if (!state.keys.some((k) => k.keyid === opts.keyid)) throw new UsageError('unknown keyid');
        return revokeKeyState(state, opts.keyid, Date.now());
      });
      printState(env, next, opts.json);
    });
}
