import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ReadyLine } from '../../src/up/platform.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');
const STELLA = path.join(ROOT, 'packages', 'cli', 'bin', 'stella.mjs');

export type { ReadyLine };

export interface PlatformChild {
  ready: ReadyLine;
  dataDir: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/**
 * Starts the real platform (`stella up --json`) as a child process on free ports and waits for
 * its one ready line. The child gets the caller's environment minus every `STELLA_*` variable
 * (`stella up` refuses unknown ones), plus the four port variables set to 0.
 */
export async function startPlatformChild(
  config: Record<string, unknown> = {},
): Promise<PlatformChild> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'stella-e2e-'));
  const configFile = path.join(dataDir, 'stella.config.json');
  await writeFile(configFile, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STELLA_')) env[k] = v;
  Object.assign(env, {
    STELLA_GATEWAY_PORT: '0',
    STELLA_AUTHORITY_PORT: '0',
    STELLA_SIGNER_PORT: '0',
    STELLA_ATTESTOR_PORT: '0',
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [STELLA, 'up', '--json', '--data-dir', dataDir, '--config', configFile],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`stella up not ready in 90 s:\n${stderr}`)),
      90_000,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ReadyLine);
      } catch {
        reject(new Error(`unexpected first stdout line: ${line}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`stella up exited (${code}) before ready:\n${stderr}`));
    });
  });
  return {
    ready,
    dataDir,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      return code;
    },
  };
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
