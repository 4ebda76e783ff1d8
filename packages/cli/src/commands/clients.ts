/**
 * `stella clients add|list|disable`: OAuth clients via the Authority admin API. Credentials are
 * public material only: a public JWK Set file (`private_key_jwt`), the platform CA as trust root
 * (`--mtls`, `tls_client_auth`), or a secret REFERENCE whose value is hashed (scrypt) here so the
 * secret itself never leaves this process (`client_secret_basic`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { hashClientSecret } from '@stella/authority';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';
import { assertAdminOk } from './tenants.ts';
import { defaultSecretResolver } from '../client/platform-client.ts';

interface AddOptions {
  id: string;
  tenant: string[];
  scopes: string;
  audiences?: string;
  jwksFile?: string;
  mtls?: boolean;
  secretRef?: string;
  serviceIdentity?: string;
  dataDir: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const words = (value: string) => value.split(/\s+/).filter((w) => w !== '');

/**
 * Any secret reference the platform supports (file:, env:, docker:, k8s:; PLATFORM.md §7). One
 * trailing newline — what `echo` and most editors add to a secret file — is not part of it.
 */
async function resolveSecretRef(ref: string): Promise<string> {
  const secret = await defaultSecretResolver(process.env).resolveSecret(ref);
  return secret.revealText().replace(/\r?\n$/, '');
}

async function credential(opts: AddOptions): Promise<Record<string, unknown>> {
  const chosen = [opts.jwksFile, opts.mtls, opts.secretRef].filter((v) => v !== undefined);
  if (chosen.length !== 1) {
    throw new UsageError('give exactly one of --jwks-file, --mtls, --secret-ref');
  }
  if (opts.jwksFile !== undefined) {
    const jwks = JSON.parse(await readFile(opts.jwksFile, 'utf8')) as unknown;
    return { jwks };
  }
  if (opts.mtls === true) {
    const ca = await readFile(path.join(opts.dataDir, 'pki', 'ca.pem'), 'utf8');
    return { trustRoots: [ca], dpopBoundAccessTokens: false };
  }
  return { secretHash: await hashClientSecret(await resolveSecretRef(opts.secretRef!)) };
}

/**
 * Least privilege by default: a client may ask for tokens only for the services its scopes
 * belong to (PLATFORM.md §2 catalogue: `signer:*` → signer; `attestor:*` and `evidence:*` →
 * attestor, which serves the evidence store; `authority:*` → authority).
 */
export function audiencesOf(scopes: readonly string[]): string[] {
  const byArea: Record<string, string> = {
    signer: 'signer',
    attestor: 'attestor',
    evidence: 'attestor',
    authority: 'authority',
  };
  const out = new Set<string>();
  for (const scope of scopes) {
    const audience = byArea[scope.split(':')[0] ?? ''];
    if (audience === undefined)
      throw new UsageError(`unknown scope area in "${scope}"; pass --audiences`);
    out.add(audience);
  }
  return [...out].sort();
}

export function register(program: Command, env: CliEnv): void {
  const clients = program.command('clients').description('manage OAuth clients in the Authority');
  clients
    .command('add')
    .description('register a client (exactly one of --jwks-file, --mtls, --secret-ref)')
    .requiredOption('--id <client>', 'client id')
    .requiredOption('--tenant <tenant>', 'tenant the client may act in (repeatable)', collect, [])
    .requiredOption('--scopes <scopes>', 'space-separated allowed scopes, e.g. "evidence:read"')
    .option(
      '--audiences <audiences>',
      'space-separated allowed audiences (default: the services its scopes belong to)',
    )
    .option('--jwks-file <file>', 'public JWK Set for private_key_jwt')
    .option('--mtls', 'tls_client_auth with a platform CA client certificate (stella pki)')
    .option(
      '--secret-ref <ref>',
      'client_secret_basic secret reference (file:, env:, docker:, k8s:)',
    )
    .option('--service-identity <name>', 'platform service this client is (e.g. signer)')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (opts: AddOptions) => {
      const body = {
        id: opts.id,
        tenants: opts.tenant,
        scopes: words(opts.scopes),
        audiences:
          opts.audiences === undefined ? audiencesOf(words(opts.scopes)) : words(opts.audiences),
        ...(await credential(opts)),
        ...(opts.serviceIdentity === undefined ? {} : { serviceIdentity: opts.serviceIdentity }),
      };
      const res = await env.adminRequest(opts.dataDir, 'POST', '/internal/clients', body);
      assertAdminOk(res, 'clients add');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      env.out(`client ${opts.id} added`);
    });
  clients
    .command('list')
    .description('list clients (never any secret)')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const res = await env.adminRequest(opts.dataDir, 'GET', '/internal/clients');
      assertAdminOk(res, 'clients list');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      const list = (res.body as { clients: Record<string, unknown>[] }).clients;
      if (list.length === 0) return env.out('no clients');
      for (const c of list) {
        env.out(
          `${String(c['id'])}\t${String(c['status'])}\t${String(c['authMethod'])}\t${(c['tenants'] as string[]).join(',')}\t${(c['scopes'] as string[]).join(' ')}`,
        );
      }
    });
  clients
    .command('disable <client>')
    .description('disable a client; its tokens stop introspecting as active')
    .option('--data-dir <dir>', 'platform data dir holding the admin credential', './.stella')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: { dataDir: string; json?: boolean }) => {
      const res = await env.adminRequest(
        opts.dataDir,
        'POST',
        `/internal/clients/${encodeURIComponent(id)}/disable`,
        {},
      );
      assertAdminOk(res, 'clients disable');
      if (opts.json === true) return env.out(JSON.stringify(res.body));
      env.out(`client ${id} disabled`);
    });
}
