// Drives `stella` in-process through `main` (the real program and exit-code mapping) with a
// capturing environment.
import { main } from '../../src/main.ts';
import type { CliEnv } from '../../src/cli-env.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export async function stella(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const env: CliEnv = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    stderrIsTTY: false,
    adminRequest: () => Promise.reject(new Error('no admin API in this test')),
  };
  return { code: await main(argv, env), out, err };
}
