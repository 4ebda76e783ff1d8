import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCertificateAuthority, issueServiceIdentity } from '../../src/pki/platform-ca.ts';
import {
  checkCertificates,
  checkKeyFiles,
  classifyCertificate,
  classifySkew,
  probeWithoutClientCert,
} from '../../src/client/doctor-checks.ts';
import { tempDir } from './helpers.ts';

const DAY = 24 * 60 * 60 * 1000;

test('certificate expiry: fail when expired, warn under 30 days, ok otherwise', () => {
  const now = new Date(Date.UTC(2025, 0, 1));
  assert.equal(classifyCertificate('a', new Date(now.getTime() - 1), now).status, 'fail');
  assert.equal(classifyCertificate('a', new Date(now.getTime() + 29 * DAY), now).status, 'warn');
  assert.equal(classifyCertificate('a', new Date(now.getTime() + 31 * DAY), now).status, 'ok');
});

test('clock skew: the DPoP window (30 s) is the failure line', () => {
  const server = 'Wed, 01 Jan 2025 00:00:00 GMT';
  const at = Date.parse(server);
  assert.equal(classifySkew(at + 400, server).status, 'ok');
  assert.equal(classifySkew(at + 10_000, server).status, 'warn');
  assert.equal(classifySkew(at - 31_000, server).status, 'fail');
  assert.equal(classifySkew(at, undefined).status, 'warn');
  assert.equal(classifySkew(at, 'yesterday-ish').status, 'warn');
});

test('PKI and key files are checked from the data dir', async () => {
  const dir = await tempDir();
  const ca = await createCertificateAuthority('stella.test');
  await mkdir(path.join(dir, 'pki'));
  await writeFile(path.join(dir, 'pki', 'ca.pem'), ca.certPem);
  await writeFile(path.join(dir, 'pki', 'ca-key.pem'), ca.keyPem);
  await writeFile(path.join(dir, 'pki', 'junk.pem'), 'not a cert');
  const certs = await checkCertificates(path.join(dir, 'pki'), new Date());
  assert.deepEqual(
    certs.map((r) => [r.check, r.status]),
    [
      ['certificate ca.pem', 'ok'],
      ['certificate junk.pem', 'fail'],
    ],
  );
  assert.ok(certs.every((r) => !r.detail.includes('PRIVATE KEY')));

  await mkdir(path.join(dir, 'keys'));
  const fresh = path.join(dir, 'keys', 'fresh.pem');
  const old = path.join(dir, 'keys', 'old.pem');
  const open = path.join(dir, 'keys', 'open.pem');
  for (const f of [fresh, old, open]) await writeFile(f, 'k', { mode: 0o600 });
  await chmod(open, 0o644);
  await utimes(old, new Date(Date.now() - 400 * DAY), new Date(Date.now() - 400 * DAY));
  const keys = await checkKeyFiles(path.join(dir, 'keys'), new Date());
  assert.deepEqual(
    keys.map((r) => [r.check, r.status]),
    [
      ['key fresh.pem', 'ok'],
      ['key old.pem', 'warn'],
      ['key open.pem', 'fail'],
    ],
  );
});

test('the no-client-certificate probe passes a listener that requires mTLS and fails one that does not', async (t) => {
  const ca = await createCertificateAuthority('stella.test');
  const id = await issueServiceIdentity(ca, 'stella.test', 'signer');
  const listen = async (requireCert: boolean) => {
    const server = createServer(
      {
        key: id.keyPem,
        cert: id.certPem,
        ca: ca.certPem,
        requestCert: requireCert,
        rejectUnauthorized: requireCert,
      },
      (socket) => {
        socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const strict = await probeWithoutClientCert('signer', await listen(true), ca.certPem);
  assert.equal(strict.status, 'ok', strict.detail);
  const lax = await probeWithoutClientCert('signer', await listen(false), ca.certPem);
  assert.equal(lax.status, 'fail');
  assert.match(lax.detail, /answered HTTP 200 without mTLS/);
});
