/**
 * A throwaway test CA (P-256) and leaf certificates with SAN URI `spiffe://test.local/svc/<name>`
 * (PLATFORM.md §3 "Service identity"), generated per test run with `@peculiar/x509`.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  readonly der: Uint8Array;
}

export interface TestCa {
  readonly cert: string;
  issue(name: string, options?: { spiffe?: boolean; uri?: string }): Promise<TestCertificate>;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

export async function createTestCa(trustDomain = 'test.local'): Promise<TestCa> {
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=Stella Test CA ${now}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  let serial = 1;
  return {
    cert: caCert.toString('pem'),
    async issue(name, options = {}) {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      serial += 1;
      const uri =
        options.uri ??
        (options.spiffe === false ? undefined : `spiffe://${trustDomain}/svc/${name}`);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial.toString(16).padStart(2, '0'),
        subject: `CN=${name}`,
        issuer: caCert.subject,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + DAY),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
          new x509.SubjectAlternativeNameExtension([
            ...(uri === undefined ? [] : [{ type: 'url' as const, value: uri }]),
            { type: 'dns', value: 'localhost' },
            { type: 'ip', value: '127.0.0.1' },
          ]),
        ],
      });
      return {
        key: await pemKey(keys.privateKey),
        cert: cert.toString('pem'),
        der: new Uint8Array(cert.rawData),
      };
    },
  };
}
