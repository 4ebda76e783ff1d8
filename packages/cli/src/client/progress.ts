import type { CliEnv } from '../cli-env.ts';

/**
 * Progress lines for long operations: on stderr, only when stderr is a terminal and the command
 * is not in `--json` mode (issue 7: "show progress on a TTY and stay quiet with --json").
 * `CliEnv` may say whether stderr is a TTY (`stderrIsTTY`); without it, the process's stderr
 * decides.
 */
export type Progress = (line: string) => void;

export function createProgress(env: CliEnv, json: boolean | undefined): Progress {
  if (json === true) return () => {};
  const declared = (env as CliEnv & { readonly stderrIsTTY?: boolean }).stderrIsTTY;
  const tty = declared ?? process.stderr.isTTY === true;
  return tty ? (line) => env.err(line) : () => {};
}
