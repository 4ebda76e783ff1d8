/**
 * `stella up` refuses to start on bad input with one clear line naming the problem: no stack
 * trace, no secret value, a non-zero exit (issue 2 "Bad input").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const STELLA = path.join(ROOT, 'packages', 'cli', 'bin', 'stella.mjs');
const FREE_PORTS = {
  STELLA_GATEWAY_PORT: '0',
  STELLA_AUTHORITY_PORT: '0',
  STELLA_SIGNER_PORT: '0',
  STELLA_ATTESTOR_PORT: '0',
};

async function up(config: string | undefined, extraEnv: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'stella-bad-'));
  const args = [STELLA, 'up', '--data-dir', path.join(dir, 'data')];
  if (config !== undefined) {
    await writeFile(path.join(dir, 'config.yaml'), config);
    args.push('--config', path.join(dir, 'config.yaml'));
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STELLA_')) env[k] = v;
  Object.assign(env, FREE_PORTS, extraEnv);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await rm(dir, { recursive: true, force: true });
  const lastLine = stderr.trim().split('\n').at(-1) ?? '';
  return { code, stdout, stderr, lastLine };
}

function assertRefused(
  r: { code: number | null; stderr: string; lastLine: string },
  pattern: RegExp,
) {
  assert.notEqual(r.code, 0);
  assert.match(r.lastLine, /^stella: /);
  assert.match(r.lastLine, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, 'a stack trace was printed');
}

test('an unknown config key is refused, naming the key', async () => {
  assertRefused(await up('bogusKey: 1\n'), /bogusKey: unknown key/);
});

test('malformed YAML is refused, naming the file and line', async () => {
  assertRefused(await up('gatewayPort: [1,\n'), /invalid YAML/);
});

test('an unknown STELLA_* variable is refused (a typo never leaves a default in place)', async () => {
  assertRefused(await up(undefined, { STELLA_GATEWAY_PROT: '1' }), /STELLA_GATEWAY_PROT/);
});

test('a token lifetime above the 300 s cap refuses to start', async () => {
  assertRefused(
    await up('authority:\n  accessTokenLifetimeSeconds: 301\n'),
    /accessTokenLifetimeSeconds/,
  );
});

test('a secret value in place of a reference is refused without echoing it', async () => {
  const r = await up('secrets:\n  dpopNonceSecret: "s3cr3t-value-never-printed"\n');
  assertRefused(r, /secrets\.dpopNonceSecret/);
  assert.ok(!r.stderr.includes('s3cr3t-value-never-printed'));
});

test('a missing secret names the reference, not a value', async () => {
  const r = await up('secrets:\n  authoritySigningKey: "file:/nonexistent/stella/authority.pem"\n');
  assertRefused(r, /secret_unavailable.*file:\/nonexistent\/stella\/authority\.pem/);
});

test('an unreachable database is named (password redacted) with what to do', async () => {
  const r = await up(undefined, {
    STELLA_DATABASE_URL: 'postgres://app:pa55word@127.0.0.1:1/none',
  });
  assertRefused(r, /cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/none/);
  assert.ok(!r.stderr.includes('pa55word'));
});
