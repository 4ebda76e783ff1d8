/**
 * A throwaway test PKI for real-listener (mTLS) tests: one P-256 CA per call and leaf certificates
 * whose SAN URIs carry the identities of PLATFORM.md §3 (services `spiffe://<td>/svc/<name>`,
 * clients `urn:stellaops:client:<id>`). Built with `@peculiar/x509` over node webcrypto;
 * `reflect-metadata` must load before `@peculiar/x509` (its ASN.1 schema decorators need it).
 * Test-only: the lint rule lets only `packages/<x>/test/` import this package.
 */
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface TestCertificate {
  /** PKCS#8 private key, PEM. */
  readonly key: string;
  /** Certificate, PEM. */
  readonly cert: string;
  /** Certificate DER (for `x5t#S256`, RFC 8705 §3.1, and RFC 9440 `Client-Cert`). */
  readonly der: Uint8Array;
}

export interface LeafOptions {
  /** SAN URIs (RFC 5280 §4.2.1.6 uniformResourceIdentifier). Default none. */
  readonly uris?: readonly string[];
  /** SAN dNSNames. Default `['localhost']`. */
  readonly dns?: readonly string[];
  /** SAN iPAddresses. Default `['127.0.0.1']`. */
  readonly ips?: readonly string[];
  /** Extended key usage (RFC 5280 §4.2.1.12). Default `'both'`. */
  readonly usage?: 'server' | 'client' | 'both';
}

export interface TestCa {
  /** The CA certificate, PEM (the trust root to hand to listeners and clients). */
  readonly cert: string;
  readonly der: Uint8Array;
  issue(commonName: string, options?: LeafOptions): Promise<TestCertificate>;
}

export interface TestCaOptions {
  readonly name?: string;
  /** Validity is anchored here (CA: now-1h .. now+30d, leaves: now-1h .. now+7d). */
  readonly now?: Date;
}

const EKU = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
} as const;

/** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 16 random bytes, top bit cleared. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

function sanNames(options: LeafOptions): x509.JsonGeneralName[] {
  return [
    ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(options.dns ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
  ];
}

export async function createTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const now = (options.now ?? new Date()).getTime();
  const caKeys = await generateKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.name ?? 'Stella Test CA'}`,
    notBefore: new Date(now - HOUR_MS),
    notAfter: new Date(now + 30 * DAY_MS),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      // RFC 5280 §4.2.1.9: critical, pathLen 0 (leaves only); §4.2.1.3 keyCertSign + cRLSign.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    cert: caCert.toString('pem'),
    der: new Uint8Array(caCert.rawData),
    async issue(commonName, leaf = {}) {
      const keys = await generateKeys();
      const names = sanNames(leaf);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${commonName}`,
        issuer: caCert.subject,
        notBefore: new Date(now - HOUR_MS),
        notAfter: new Date(now + 7 * DAY_MS),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([...EKU[leaf.usage ?? 'both']], false),
          // RFC 5280 §4.2.1.6: SAN critical only when the subject DN is empty; ours is not.
          ...(names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names, false)]),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return {
        key: await keyPem(keys.privateKey),
        cert: cert.toString('pem'),
        der: new Uint8Array(cert.rawData),
      };
    },
  };
}

/** PLATFORM.md §3 service identity SAN URI. */
export function serviceUri(name: string, trustDomain: string): string {
  return `spiffe://${trustDomain}/svc/${name}`;
}

/** PLATFORM.md §3 client identity SAN URI. */
export function clientUri(clientId: string): string {
  return `urn:stellaops:client:${clientId}`;
}

/** RFC 9440 §2.2 `Client-Cert` header value: the DER as an RFC 8941 Byte Sequence. */
export function clientCertHeader(der: Uint8Array): string {
  return `:${Buffer.from(der).toString('base64')}:`;
}
