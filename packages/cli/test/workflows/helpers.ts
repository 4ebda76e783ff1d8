import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createIdGenerator, systemClock } from '@stella/core';
import type { CliEnv } from '../../src/cli-env.ts';
import { createHttpClient } from '../../src/client/https-client.ts';
import { defaultSecretResolver } from '../../src/client/platform-client.ts';
import type { ClientCommandDeps } from '../../src/client/command-context.ts';

export interface CapturedEnv extends CliEnv {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly stderrIsTTY: boolean;
}

export function captureEnv(stderrIsTTY = false): CapturedEnv {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    stderrIsTTY,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    adminRequest: () => Promise.reject(new Error('no admin API in this test')),
  };
}

export function testProgram(): Command {
  return new Command('stella')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

export function testDeps(): ClientCommandDeps {
  return {
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    secrets: defaultSecretResolver({}),
    http: createHttpClient(),
  };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'stella-cli-'));
}

/** Writes a private_key_jwt profile for the fake platform and returns its path. */
export async function writeProfile(dir: string, base: string, jwk: object): Promise<string> {
  const keyFile = path.join(dir, 'demo.private.jwk.json');
  await writeFile(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  const profile = path.join(dir, 'demo.profile.json');
  await writeFile(
    profile,
    JSON.stringify({
      issuer: base,
      gateway: base,
      clientId: 'demo',
      tenant: 'default',
      authMethod: 'private_key_jwt',
      privateKey: `file:${keyFile}`,
    }),
  );
  return profile;
}
