import { webcrypto, randomBytes, createPrivateKey } from 'node:crypto';
import { x509 } from './x509.ts';

/**
 * The platform PKI: a P-256 root CA that issues service identities (SAN URI
 * `spiffe://<trust-domain>/svc/<name>`, DNS `localhost`, IP `127.0.0.1`) and client certificates
 * for `tls_client_auth` clients (SAN URI `urn:stellaops:client:<client_id>`, RFC 8705 §2.1.2).
 */
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Serial number, hex (for `stella doctor` and logs). */
  serial: string;
  notAfter: Date;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER (RFC 5280 §4.1.2.2)
  return bytes.toString('hex');
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

async function importCa(
  ca: CertificateAuthority,
): Promise<{ cert: x509.X509Certificate; key: webcrypto.CryptoKey }> {
  const cert = new x509.X509Certificate(ca.certPem);
  const der = createPrivateKey(ca.keyPem).export({ format: 'der', type: 'pkcs8' });
  const key = (await webcrypto.subtle.importKey('pkcs8', der, ALG, false, [
    'sign',
  ])) as webcrypto.CryptoKey;
  return { cert, key };
}

export async function createCertificateAuthority(
  trustDomain: string,
  now = new Date(),
  validityDays = 3650,
): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=StellaOps platform CA (${trustDomain})`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

export interface LeafRequest {
  commonName: string;
  uris: string[];
  dns?: string[];
  ips?: string[];
  /** serverAuth and/or clientAuth (service identities are both: mTLS in both directions). */
  usages: ('server' | 'client')[];
  validityDays?: number;
}

export async function issueCertificate(
  ca: CertificateAuthority,
  request: LeafRequest,
  now = new Date(),
): Promise<IssuedCertificate> {
  const issuer = await importCa(ca);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    ...request.uris.map((value) => ({ type: 'url' as const, value })),
    ...(request.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const eku: string[] = [];
  if (request.usages.includes('server')) eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (request.usages.includes('client')) eku.push(x509.ExtendedKeyUsage.clientAuth);
  const notAfter = new Date(now.getTime() + (request.validityDays ?? 365) * DAY_MS);
  const number = serial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: number,
    subject: `CN=${request.commonName}`,
    issuer: issuer.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
    ],
  });
  return {
    certPem: cert.toString('pem'),
    keyPem: await exportKeyPem(keys.privateKey),
    serial: number,
    notAfter,
  };
}

export function serviceIdentityUri(trustDomain: string, service: string): string {
  return `spiffe://${trustDomain}/svc/${service}`;
}

export function clientIdentityUri(clientId: string): string {
  return `urn:stellaops:client:${clientId}`;
}

export async function issueServiceIdentity(
  ca: CertificateAuthority,
  trustDomain: string,
  service: string,
  now = new Date(),
): Promise<IssuedCertificate> {
  return issueCertificate(
    ca,
    {
      commonName: `${service}.${trustDomain}`,
      uris: [serviceIdentityUri(trustDomain, service)],
      dns: ['localhost'],
      ips: ['127.0.0.1'],
      usages: ['server', 'client'],
    },
    now,
  );
}

export async function issueClientCertificate(
  ca: CertificateAuthority,
  clientId: string,
  now = new Date(),
  validityDays = 90,
): Promise<IssuedCertificate> {
  return issueCertificate(
    ca,
    { commonName: clientId, uris: [clientIdentityUri(clientId)], usages: ['client'], validityDays },
    now,
  );
}

/** Expiry of a PEM certificate, for `stella doctor`. */
export function certificateNotAfter(pem: string): Date {
  return new x509.X509Certificate(pem).notAfter;
}
