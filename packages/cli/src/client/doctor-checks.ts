import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import type { HttpClient } from './https-client.ts';
import { headerOf, jsonOf } from './https-client.ts';

/**
 * `stella doctor` checks. Each returns rows `{check, status, detail}`; classification is pure
 * (thresholds and clock are arguments) and the probes are thin. No row ever includes key
 * material: files are named by path, certificates by subject and expiry.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CERT_WARN_DAYS = 30;
export const KEY_WARN_AGE_DAYS = 90;
/** RFC 9449 proofs are accepted within ±30 s (PLATFORM.md §3): beyond that nothing works. */
export const SKEW_FAIL_SECONDS = 30;
export const SKEW_WARN_SECONDS = 5;

export function classifyCertificate(name: string, notAfter: Date, now: Date): DoctorCheck {
  const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const when = notAfter.toISOString();
  if (notAfter.getTime() <= now.getTime())
    return { check: `certificate ${name}`, status: 'fail', detail: `expired ${when}` };
  if (days < CERT_WARN_DAYS)
    return {
      check: `certificate ${name}`,
      status: 'warn',
      detail: `expires in ${days} day(s) (${when})`,
    };
  return {
    check: `certificate ${name}`,
    status: 'ok',
    detail: `valid until ${when} (${days} days)`,
  };
}

export function classifyKeyFile(name: string, mtime: Date, mode: number, now: Date): DoctorCheck {
  const days = Math.floor((now.getTime() - mtime.getTime()) / DAY_MS);
  if ((mode & 0o077) !== 0) {
    return {
      check: `key ${name}`,
      status: 'fail',
      detail: `readable by group/others (mode ${(mode & 0o777).toString(8)}); chmod 600`,
    };
  }
  if (days > KEY_WARN_AGE_DAYS) {
    return { check: `key ${name}`, status: 'warn', detail: `${days} days old; consider rotating` };
  }
  return { check: `key ${name}`, status: 'ok', detail: `${days} day(s) old, mode 600` };
}

export function classifySkew(localMs: number, serverDate: string | undefined): DoctorCheck {
  const server = serverDate === undefined ? Number.NaN : Date.parse(serverDate);
  if (Number.isNaN(server))
    return { check: 'clock skew', status: 'warn', detail: 'the gateway sent no Date header' };
  // The Date header has one-second resolution (RFC 9110 §6.6.1); round before judging.
  const skew = Math.round((localMs - server) / 1000);
  const detail = `${skew >= 0 ? '+' : ''}${skew} s vs the gateway`;
  if (Math.abs(skew) > SKEW_FAIL_SECONDS)
    return {
      check: 'clock skew',
      status: 'fail',
      detail: `${detail}; DPoP proofs will be refused, sync the clock`,
    };
  if (Math.abs(skew) > SKEW_WARN_SECONDS) return { check: 'clock skew', status: 'warn', detail };
  return { check: 'clock skew', status: 'ok', detail };
}

export async function checkHttp(
  check: string,
  http: HttpClient,
  url: string,
): Promise<DoctorCheck> {
  try {
    const res = await http.send({ method: 'GET', url });
    return res.status >= 200 && res.status < 300
      ? { check, status: 'ok', detail: `${res.status} ${url}` }
      : { check, status: 'fail', detail: `${res.status} ${url}` };
  } catch (error) {
    return { check, status: 'fail', detail: (error as Error).message };
  }
}

/** Gateway reachability plus the clock comparison from the same answer. */
export async function checkGateway(
  http: HttpClient,
  gateway: string,
  now: () => number,
): Promise<DoctorCheck[]> {
  const rows = [await checkHttp('gateway /healthz', http, `${gateway}/healthz`)];
  try {
    const res = await http.send({ method: 'GET', url: `${gateway}/readyz` });
    const local = now();
    rows.push({
      check: 'gateway /readyz',
      status: res.status === 200 ? 'ok' : 'fail',
      detail: `${res.status}`,
    });
    rows.push(classifySkew(local, headerOf(res, 'date')));
  } catch (error) {
    rows.push({ check: 'gateway /readyz', status: 'fail', detail: (error as Error).message });
  }
  return rows;
}

export async function checkJwks(http: HttpClient, issuer: string): Promise<DoctorCheck> {
  try {
    const res = await http.send({ method: 'GET', url: `${issuer}/jwks` });
    if (res.status !== 200)
      return { check: 'authority JWKS', status: 'fail', detail: `${res.status}` };
    const body = jsonOf(res) as { keys?: unknown };
    const keys = Array.isArray(body.keys) ? body.keys : [];
    if (keys.length === 0)
      return { check: 'authority JWKS', status: 'fail', detail: 'no keys published' };
    const noKid = keys.filter((k) => typeof (k as { kid?: unknown }).kid !== 'string').length;
    return noKid > 0
      ? {
          check: 'authority JWKS',
          status: 'warn',
          detail: `${keys.length} key(s), ${noKid} without kid`,
        }
      : { check: 'authority JWKS', status: 'ok', detail: `${keys.length} key(s) published` };
  } catch (error) {
    return { check: 'authority JWKS', status: 'fail', detail: (error as Error).message };
  }
}

/**
 * Opens TLS to an internal listener WITHOUT a client certificate and sends a request. The
 * listener must refuse (RFC 8446 §4.4.2.4 `certificate_required` alert, or a closed socket);
 * any HTTP answer means it serves clients without mTLS.
 */
export function probeWithoutClientCert(
  name: string,
  url: string,
  caPem: string,
  timeoutMs = 5000,
): Promise<DoctorCheck> {
  const check = `${name} refuses TLS without a client certificate`;
  const u = new URL(url);
  return new Promise((resolve) => {
    let settled = false;
    const done = (row: DoctorCheck) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(row);
    };
    const socket = tls.connect(
      { host: u.hostname, port: Number(u.port || 443), ca: caPem, servername: 'localhost' },
      () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
      },
    );
    socket.setTimeout(timeoutMs, () =>
      done({ check, status: 'ok', detail: 'no answer without a certificate' }),
    );
    socket.on('data', (chunk: Buffer) => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? '?';
      done({ check, status: 'fail', detail: `answered HTTP ${status} without mTLS` });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED')
        done({ check, status: 'fail', detail: `not listening at ${u.host}` });
      else done({ check, status: 'ok', detail: `refused (${error.code ?? 'tls error'})` });
    });
    socket.on('close', () =>
      done({ check, status: 'ok', detail: 'connection closed without an answer' }),
    );
  });
}

export async function checkCertificates(pkiDir: string, now: Date): Promise<DoctorCheck[]> {
  let names: string[];
  try {
    names = (await readdir(pkiDir))
      .filter((n) => n.endsWith('.pem') && !n.endsWith('-key.pem'))
      .sort();
  } catch {
    return [{ check: 'certificates', status: 'fail', detail: `cannot read ${pkiDir}` }];
  }
  const rows: DoctorCheck[] = [];
  for (const name of names) {
    try {
      const cert = new X509Certificate(await readFile(path.join(pkiDir, name)));
      rows.push(classifyCertificate(name, new Date(cert.validTo), now));
    } catch {
      rows.push({ check: `certificate ${name}`, status: 'fail', detail: 'not a PEM certificate' });
    }
  }
  return rows;
}

export async function checkKeyFiles(keysDir: string, now: Date): Promise<DoctorCheck[]> {
  let names: string[];
  try {
    names = (await readdir(keysDir)).sort();
  } catch {
    return [{ check: 'keys', status: 'fail', detail: `cannot read ${keysDir}` }];
  }
  const rows: DoctorCheck[] = [];
  for (const name of names) {
    const info = await stat(path.join(keysDir, name));
    if (info.isFile()) rows.push(classifyKeyFile(name, info.mtime, info.mode, now));
  }
  return rows;
}
