/**
 * Test PKI built with the `openssl` CLI: one CA and leaf certificates carrying SPIFFE SAN URIs
 * (PLATFORM.md §3 service identity), for real mTLS listeners in feature tests.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCert {
  readonly key: string;
  readonly cert: string;
  readonly der: Uint8Array;
}

export interface TestPki {
  readonly ca: string;
  issue(name: string, sanUris: readonly string[]): TestCert;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'attestor-pki-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=stella-test-ca',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const ca = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
  return {
    ca,
    issue(name, sanUris) {
      const ext = path.join(dir, `${name}.ext`);
      const san = [...sanUris.map((u) => `URI:${u}`), 'DNS:localhost', 'IP:127.0.0.1'].join(',');
      writeFileSync(
        ext,
        `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
      );
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.csr`,
          '-subj',
          `/CN=${name}`,
        ],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          `${name}.crt`,
          '-days',
          '1',
          '-extfile',
          ext,
        ],
        dir,
      );
      const cert = readFileSync(path.join(dir, `${name}.crt`), 'utf8');
      return {
        key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
        cert,
        der: new Uint8Array(new X509Certificate(cert).raw),
      };
    },
  };
}
