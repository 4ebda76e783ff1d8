import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliEnv } from '../cli-env.ts';
import { readPlatformState } from '../platform-state.ts';
import { cliClientError } from '../client/errors.ts';
import { createHttpClient } from '../client/https-client.ts';
import {
  checkCertificates,
  checkGateway,
  checkHttp,
  checkJwks,
  checkKeyFiles,
  probeWithoutClientCert,
} from '../client/doctor-checks.ts';
import type { DoctorCheck } from '../client/doctor-checks.ts';

interface DoctorOptions {
  dataDir: string;
  json?: boolean;
}

/**
 * `stella doctor`: is the running platform healthy and safely configured? Reachability of the
 * gateway and every internal listener (with the admin mTLS credential), certificate expiry,
 * key ages and permissions, clock skew vs the gateway, JWKS, and that every internal listener
 * refuses clients without a certificate. Exit 1 when any row fails.
 */
export function registerDoctor(program: Command, env: CliEnv): void {
  program
    .command('doctor')
    .description('check a running platform: services, certificates, keys, clock, JWKS, mTLS')
    .option('--data-dir <dir>', 'data dir of the running platform', './.stella')
    .option('--json', 'print {"ok", "checks":[{check,status,detail}]}')
    .addHelpText('after', '\nExample:\n  stella doctor --data-dir ./.stella\n')
    .action(async (opts: DoctorOptions) => {
      const rows = await runDoctor(opts.dataDir);
      const ok = rows.every((r) => r.status !== 'fail');
      if (opts.json === true) env.out(JSON.stringify({ ok, checks: rows }));
      else printTable(env, rows);
      if (!ok) {
        throw cliClientError('checks_failed', {
          detail: rows
            .filter((r) => r.status === 'fail')
            .map((r) => r.check)
            .join(', '),
        });
      }
    });
}

export async function runDoctor(dataDir: string): Promise<DoctorCheck[]> {
  const state = await readPlatformState(dataDir);
  const root = path.resolve(dataDir);
  const now = new Date();
  const [ca, adminCert, adminKey] = await Promise.all([
    readFile(state.caFile, 'utf8'),
    readFile(state.admin.certFile, 'utf8'),
    readFile(state.admin.keyFile, 'utf8'),
  ]);
  const publicHttp = createHttpClient({ caPem: ca, maxResponseBytes: 1024 * 1024 });
  const adminHttp = createHttpClient({
    caPem: ca,
    certPem: adminCert,
    keyPem: adminKey,
    maxResponseBytes: 1024 * 1024,
  });
  try {
    const rows: DoctorCheck[] = [];
    rows.push(
      ...(await checkGateway(publicHttp, state.gateway.replace(/\/+$/, ''), () => Date.now())),
    );
    rows.push(await checkJwks(publicHttp, state.issuer.replace(/\/+$/, '')));
    for (const [name, url] of Object.entries(state.internal)) {
      rows.push(await checkHttp(`${name} (internal, mTLS) /healthz`, adminHttp, `${url}/healthz`));
      rows.push(await probeWithoutClientCert(name, url, ca));
    }
    rows.push(...(await checkCertificates(path.join(root, 'pki'), now)));
    rows.push(...(await checkKeyFiles(path.join(root, 'keys'), now)));
    return rows;
  } finally {
    await Promise.all([publicHttp.close(), adminHttp.close()]);
  }
}

function printTable(env: CliEnv, rows: readonly DoctorCheck[]): void {
  const width = Math.min(60, Math.max(...rows.map((r) => r.check.length)));
  for (const row of rows) {
    const mark = row.status === 'ok' ? 'ok  ' : row.status === 'warn' ? 'warn' : 'FAIL';
    env.out(`${mark}  ${row.check.padEnd(width)}  ${row.detail}`);
  }
  const fails = rows.filter((r) => r.status === 'fail').length;
  const warns = rows.filter((r) => r.status === 'warn').length;
  env.out(`${rows.length} checks: ${fails} failed, ${warns} warning(s)`);
}

export const register = registerDoctor;
