import { Command, CommanderError } from 'commander';
import { isStellaError } from '@stella/core';
import { UsageError, type CliEnv } from './cli-env.ts';
import { createAdminRequester } from './admin-request.ts';
import { registerUp } from './commands/up.ts';
import { registerPki } from './commands/pki.ts';
import { register as registerTenants } from './commands/tenants.ts';
import { register as registerClients } from './commands/clients.ts';
import { register as registerAuthorityKeys } from './commands/authority-keys.ts';
import { register as registerSignerKeys } from './commands/signer-keys.ts';
import { registerToken } from './commands/token.ts';
import { registerEvidence } from './commands/evidence.ts';
import { registerSign } from './commands/sign.ts';
import { register as registerVerify } from './commands/verify.ts';
import { register as registerTrust } from './commands/trust.ts';
import { register as registerLog } from './commands/log.ts';
import { registerAudit } from './commands/audit.ts';
import { registerDoctor } from './commands/doctor.ts';

/**
 * `stella` entry point. Every command module registers itself explicitly here (no import-time
 * side effects); errors become one line on stderr with a hint, never a stack trace unless
 * `STELLA_DEBUG=1`.
 */
export function createProgram(env: CliEnv): Command {
  const program = new Command('stella')
    .description('StellaOps security boundary: run the platform and operate it')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeOut: (text) => env.out(text.replace(/\n$/, '')),
    writeErr: (text) => env.err(text.replace(/\n$/, '')),
  });
  // Platform lifecycle and PKI
  registerUp(program, env);
  registerPki(program, env);
  // Administration (Authority admin API over mTLS)
  registerTenants(program, env);
  registerClients(program, env);
  registerAuthorityKeys(program, env);
  registerSignerKeys(program, env);
  // Client workflows (through the gateway)
  registerToken(program, env);
  registerEvidence(program, env);
  registerSign(program, env);
  // Offline verification and monitoring
  registerVerify(program, env);
  registerTrust(program, env);
  registerLog(program, env);
  registerAudit(program, env);
  registerDoctor(program, env);
  return program;
}

export function processEnv(): CliEnv {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stderrIsTTY: process.stderr.isTTY === true,
    adminRequest: createAdminRequester(),
  };
}

export async function main(argv: string[], env: CliEnv = processEnv()): Promise<number> {
  const program = createProgram(env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (process.env.STELLA_DEBUG === '1') env.err(String((error as Error).stack ?? error));
    if (error instanceof UsageError) {
      env.err(`stella: ${error.message}`);
      return 2;
    }
    if (isStellaError(error)) {
      env.err(
        `stella: ${error.code}: ${error.description}${error.detail ? ` (${error.detail})` : ''}`,
      );
      return 1;
    }
    env.err(`stella: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
