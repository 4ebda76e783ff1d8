/**
 * Test PKI and an HTTPS client for real-listener tests: a P-256 CA, leaf certificates with SAN
 * URIs (service identities `spiffe://…/svc/<name>`, clients `urn:stellaops:client:<id>`), and an
 * undici `Agent` per identity. The small bits of `packages/cli/src/pki/platform-ca.ts` copied
 * here (tests must not import the CLI). `reflect-metadata` must load before `@peculiar/x509`.
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Agent, request } from 'undici';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Pem {
  readonly certPem: string;
  readonly keyPem: string;
  /** DER of the certificate (for `x5t#S256` and RFC 9440 `Client-Cert`). */
  readonly der: Buffer;
}

interface Ca extends Pem {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

function pemOf(cert: x509.X509Certificate, key: string): Pem {
  const certPem = cert.toString('pem');
  return { certPem, keyPem: key, der: Buffer.from(new NodeX509(certPem).raw) };
}

export async function createTestCa(name: string, now = new Date()): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 30 * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  return { ...pemOf(cert, await keyPem(keys.privateKey)), cert, key: keys.privateKey };
}

export async function issueLeaf(
  ca: Ca,
  subject: { uri: string; server?: boolean },
  now = new Date(),
): Promise<Pem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [{ type: 'url', value: subject.uri }];
  if (subject.server === true) names.push({ type: 'ip', value: '127.0.0.1' });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=test-leaf',
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 7 * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return pemOf(cert, await keyPem(keys.privateKey));
}

export const clientUri = (id: string) => `urn:stellaops:client:${id}`;
export const serviceUri = (name: string, trustDomain = 'stella.local') =>
  `spiffe://${trustDomain}/svc/${name}`;

/** RFC 9440 §2.2 `Client-Cert` value (RFC 8941 Byte Sequence). */
export const clientCertHeader = (der: Buffer) => `:${der.toString('base64')}:`;

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

/** An HTTPS client presenting `identity` (or no certificate), trusting `caPem` for the server. */
export function httpsClient(baseUrl: string, caPem: string, identity?: Pem) {
  const agent = new Agent({
    connect: {
      ca: caPem,
      ...(identity === undefined ? {} : { cert: identity.certPem, key: identity.keyPem }),
    },
  });
  return {
    agent,
    async send(
      method: 'GET' | 'POST',
      path: string,
      options: { headers?: Record<string, string>; body?: string } = {},
    ): Promise<HttpsResponse> {
      const res = await request(`${baseUrl}${path}`, {
        method,
        dispatcher: agent,
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      const text = await res.body.text();
      return {
        status: res.statusCode,
        headers: res.headers,
        text,
        json: () => JSON.parse(text) as Record<string, unknown>,
      };
    },
    close: () => agent.close(),
  };
}
