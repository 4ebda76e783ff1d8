import type { Command } from 'commander';
import { UsageError, type CliEnv } from '../cli-env.ts';
import { startPlatform, type PlatformHandle } from '../up/platform.ts';

export interface UpOptions {
  dataDir: string;
  config?: string;
  json?: boolean;
}

/**
 * `stella up`: the whole platform on one machine. Only the gateway listens on a public port;
 * the Authority, signer and attestor listen on loopback and require mTLS.
 */
export function registerUp(program: Command, env: CliEnv): void {
  program
    .command('up')
    .description(
      'start the whole platform (gateway, authority, signer, attestor) on embedded defaults',
    )
    .option(
      '--data-dir <dir>',
      'where keys, certificates, the database and evidence live',
      './.stella',
    )
    .option('--config <file>', 'YAML/JSON config file (secret values only as references)')
    .option('--json', 'print exactly one JSON "ready" line on stdout; logs go to stderr')
    .addHelpText(
      'after',
      `
Environment:
  STELLA_GATEWAY_PORT      public gateway port (default 8443)
  STELLA_AUTHORITY_PORT    internal Authority port (default 9440; 0 = pick a free port)
  STELLA_SIGNER_PORT       internal signer port (default 9441)
  STELLA_ATTESTOR_PORT     internal attestor port (default 9442)
  STELLA_DATABASE_URL      use PostgreSQL instead of the embedded PGlite
  STELLA_VALKEY_URL        use Valkey/Redis instead of in-memory state

Examples:
  npm start
  npm start -- --json --data-dir /var/lib/stella`,
    )
    .action(async (opts: UpOptions) => {
      let handle: PlatformHandle;
      try {
        handle = await startPlatform({
          dataDir: opts.dataDir,
          ...(opts.config === undefined ? {} : { configFile: opts.config }),
          env: process.env,
          progress: opts.json ? () => {} : (line) => env.err(`  ${line}`),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new UsageError(
            `${(error as Error).message}: another platform may be running; stop it or set STELLA_GATEWAY_PORT / STELLA_*_PORT`,
          );
        }
        throw error;
      }
      const ready = handle.ready;
      if (opts.json) {
        env.out(JSON.stringify(ready));
      } else {
        for (const line of handle.describe()) env.out(line);
      }
      await new Promise<void>((resolve, reject) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          if (!opts.json) env.err(`received ${signal}, stopping (in-flight requests finish)…`);
          const force = setTimeout(() => {
            env.err('stop took longer than 10 s; exiting');
            process.exit(1);
          }, 10_000);
          force.unref();
          handle
            .stop()
            .then(() => {
              if (!opts.json) env.err('stopped');
              resolve();
            })
            .catch((error: unknown) => reject(error as Error));
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
