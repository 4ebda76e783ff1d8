/**
 * `stella authority keys rotate` / `stella authority keys list`: access-token signing keys via
 * the Authority admin API. Rotation activates a new key at once and keeps the previous one in
 * JWKS for max token lifetime + clock skew (PLATFORM.md §2); no restart is needed.
 */
import type { Command } from 'commander';
import type { CliEnv } from '../cli-env.ts';
import { assertAdminOk } from './tenants.ts';

interface KeyView {
  kid: string;
  alg: string;
  state: string;
  activatedAt: string;
  retireAfter?: string;
}

export function register(program: Command, env: CliEnv): void {
  const authority =
    program.commands.find((c) => c.name() === 'authority') ??
    program.command('authority').description('Authority administration');
  const keys = authority.command('keys').description('access-token signing keys');
  keys
    .command('rotate')
    .description('generate and activate a new signing key; the old one is retired after a grace')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const res = await env.adminRequest(opts.dataDir, 'POST', '/internal/keys/rotate', {});
      assertAdminOk(res, 'authority keys rotate');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      env.out(`active signing key is now ${(res.body as { kid: string }).kid}`);
    });
  keys
    .command('list')
    .description('list signing keys (kid, alg, state, timestamps)')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const res = await env.adminRequest(opts.dataDir, 'GET', '/internal/keys');
      assertAdminOk(res, 'authority keys list');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      for (const k of (res.body as { keys: KeyView[] }).keys) {
        env.out(`${k.kid}\t${k.alg}\t${k.state}\t${k.activatedAt}\t${k.retireAfter ?? '-'}`);
      }
    });
}
