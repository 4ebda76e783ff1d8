import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './cli-env.ts';

/**
 * `<data-dir>/state/platform.json`: what a running `stella up` publishes for the CLI (URLs and
 * file paths only — never key material). Written when every service is ready, removed on stop.
 */
export interface PlatformState {
  pid: number;
  gateway: string;
  issuer: string;
  internal: { authority: string; signer: string; attestor: string };
  caFile: string;
  trustFile: string;
  trustDomain: string;
  tenant: string;
  profile: string;
  admin: { clientId: string; certFile: string; keyFile: string };
  startedAt: string;
}

export function stateFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'state', 'platform.json');
}

export async function writePlatformState(dataDir: string, state: PlatformState): Promise<void> {
  const file = stateFile(dataDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readPlatformState(dataDir: string): Promise<PlatformState> {
  const file = stateFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(
      `no running platform found in ${path.resolve(dataDir)} (start it with \`npm start\` or \`stella up --data-dir ${dataDir}\`)`,
    );
  }
  return JSON.parse(text) as PlatformState;
}
