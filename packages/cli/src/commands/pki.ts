import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError, type CliEnv } from '../cli-env.ts';
import { issueClientCertificate, clientIdentityUri } from '../pki/platform-ca.ts';
import { dataDirLayout, exists, writePrivateFile } from '../up/data-dir.ts';

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function registerPki(program: Command, env: CliEnv): void {
  const pki = program
    .command('pki')
    .description('platform PKI: client certificates for tls_client_auth');
  pki
    .command('issue-client')
    .description(
      'issue an mTLS client certificate (SAN URI urn:stellaops:client:<id>) from the platform CA',
    )
    .requiredOption('--id <client>', 'client id the certificate authenticates')
    .requiredOption('--tenant <tenant>', 'tenant the client belongs to (recorded in the output)')
    .option('--days <n>', 'validity in days', '90')
    .option(
      '-o, --out-dir <dir>',
      'where to write <id>.pem and <id>-key.pem (default: <data-dir>/clients)',
    )
    .option('--data-dir <dir>', 'platform data dir', './.stella')
    .option('--json', 'print one JSON object')
    .action(
      async (opts: {
        id: string;
        tenant: string;
        days: string;
        outDir?: string;
        dataDir: string;
        json?: boolean;
      }) => {
        if (!CLIENT_ID.test(opts.id)) throw new UsageError(`--id must match ${CLIENT_ID.source}`);
        if (!TENANT.test(opts.tenant)) throw new UsageError(`--tenant must match ${TENANT.source}`);
        const days = Number(opts.days);
        if (!Number.isInteger(days) || days < 1 || days > 825)
          throw new UsageError('--days must be 1..825');
        const layout = dataDirLayout(opts.dataDir);
        const caFile = path.join(layout.pki, 'ca.pem');
        if (!(await exists(caFile))) {
          throw new UsageError(
            `no platform CA in ${layout.root}; run \`stella up --data-dir ${opts.dataDir}\` once first`,
          );
        }
        const ca = {
          certPem: await readFile(caFile, 'utf8'),
          keyPem: await readFile(path.join(layout.pki, 'ca-key.pem'), 'utf8'),
        };
        const outDir = path.resolve(opts.outDir ?? layout.clients);
        const certFile = path.join(outDir, `${opts.id}.pem`);
        const keyFile = path.join(outDir, `${opts.id}-key.pem`);
        if ((await exists(certFile)) || (await exists(keyFile))) {
          throw new UsageError(`${certFile} already exists; remove it or choose --out-dir`);
        }
        const issued = await issueClientCertificate(ca, opts.id, new Date(), days);
        await writePrivateFile(keyFile, issued.keyPem);
        await writePrivateFile(certFile, issued.certPem);
        const result = {
          clientId: opts.id,
          tenant: opts.tenant,
          san: clientIdentityUri(opts.id),
          certFile,
          keyFile,
          serial: issued.serial,
          notAfter: issued.notAfter.toISOString(),
        };
        if (opts.json) {
          env.out(JSON.stringify(result));
          return;
        }
        env.out(`issued ${result.san} (serial ${result.serial}, valid until ${result.notAfter})`);
        env.out(`  certificate: ${certFile}`);
        env.out(`  private key: ${keyFile} (0600)`);
        env.out(
          `register it: stella clients add --id ${opts.id} --tenant ${opts.tenant} --scopes "<scopes>" --mtls`,
        );
      },
    );
}
