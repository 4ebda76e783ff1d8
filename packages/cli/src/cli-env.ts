/**
 * What every `stella` command module receives. Command modules export
 * `register(program: Command, env: CliEnv)` and never read process globals themselves, so tests
 * drive them with captured output.
 */
export interface CliOutput {
  /** Writes one line to stdout (machine output, or human output when not `--json`). */
  out(line: string): void;
  /** Writes one line to stderr (progress, warnings, errors). */
  err(line: string): void;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

export interface CliEnv extends CliOutput {
  /** True when stderr is a terminal: long operations print progress there (never with --json). */
  readonly stderrIsTTY?: boolean;
  /**
   * Calls the running platform's Authority admin API (`/internal/*`) over mTLS with the admin
   * credential that `stella up` wrote into `dataDir` (client certificate + an `authority:admin`
   * token obtained with `tls_client_auth`). `path` starts with `/internal/`.
   */
  adminRequest(
    dataDir: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<AdminResponse>;
}

/** Thrown by commands for operator mistakes: printed as one line (no stack), exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
