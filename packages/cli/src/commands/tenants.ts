/**
 * `stella tenants add <tenant>` / `stella tenants list`: the Authority admin API
 * (`/internal/tenants`) over mTLS with the admin credential `stella up` wrote into the data dir.
 */
import type { Command } from 'commander';
import { UsageError } from '../cli-env.ts';
import type { AdminResponse, CliEnv } from '../cli-env.ts';

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Turns a non-2xx admin response into a one-line operator error (OAuth-shaped body). */
export function assertAdminOk(response: AdminResponse, what: string): void {
  if (response.status >= 200 && response.status < 300) return;
  const body = response.body as { error?: unknown; error_description?: unknown } | undefined;
  const reason =
    typeof body?.error === 'string'
      ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
      : `HTTP ${response.status}`;
  throw new UsageError(`${what} failed (${reason})`);
}

export function register(program: Command, env: CliEnv): void {
  const tenants = program.command('tenants').description('manage tenants in the Authority');
  tenants
    .command('add <tenant>')
    .description('register a tenant (lowercase [a-z0-9][a-z0-9-]{0,62})')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (tenant: string, opts: { dataDir: string; json?: boolean }) => {
      if (!TENANT.test(tenant)) throw new UsageError(`tenant must match ${TENANT.source}`);
      const res = await env.adminRequest(opts.dataDir, 'POST', '/internal/tenants', { tenant });
      assertAdminOk(res, 'tenants add');
      if (opts.json === true) env.out(JSON.stringify(res.body));
      else env.out(`tenant ${tenant} added`);
    });
  tenants
    .command('list')
    .description('list tenants')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const res = await env.adminRequest(opts.dataDir, 'GET', '/internal/tenants');
      assertAdminOk(res, 'tenants list');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      const list = (res.body as { tenants: { id: string; status: string; createdAt: string }[] })
        .tenants;
      if (list.length === 0) return env.out('no tenants');
      for (const t of list) env.out(`${t.id}\t${t.status}\t${t.createdAt}`);
    });
}
