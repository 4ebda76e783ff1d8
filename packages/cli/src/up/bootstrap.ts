import { generateKeyPairSync, randomBytes, createPrivateKey } from 'node:crypto';
import { exportPublicJwk, importPrivateKey } from '@stella/crypto';
import path from 'node:path';
import {
  createCertificateAuthority,
  issueServiceIdentity,
  issueCertificate,
  serviceIdentityUri,
  clientIdentityUri,
  type CertificateAuthority,
} from '../pki/platform-ca.ts';
import {
  dataDirLayout,
  ensureDirs,
  exists,
  writePrivateFile,
  readText,
  type DataDirLayout,
} from './data-dir.ts';

/** The four services `stella up` runs; each gets an identity from the platform CA. */
export const SERVICES = ['gateway', 'authority', 'signer', 'attestor'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Service identities that also authenticate to the Authority with `tls_client_auth`. */
const SERVICE_CLIENTS: Partial<Record<ServiceName, string>> = {
  signer: 'signer',
  gateway: 'gateway',
};

export interface PlatformFiles {
  layout: DataDirLayout;
  trustDomain: string;
  caFile: string;
  caKeyFile: string;
  identities: Record<ServiceName, { certFile: string; keyFile: string; uri: string }>;
  /** `file:` secret references (never the values). */
  keyRefs: {
    authority: string;
    gatewayEnvelope: string;
    signer: string;
    log: string;
    nonceSecret: string;
  };
  admin: { clientId: string; certFile: string; keyFile: string };
  demo: { clientId: string; profileFile: string; privateJwkFile: string; publicJwks: object };
  /** True when this call created the data dir's material (first run). */
  created: boolean;
}

function pkcs8Pem(kind: 'ec' | 'ed25519'): string {
  const { privateKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function fileRef(file: string): string {
  return `file:${file}`;
}

/**
 * First run creates the platform CA, service identities, signing keys, the admin credential and
 * the demo client; later runs reuse them (nothing is regenerated or overwritten).
 */
export async function bootstrapDataDir(
  root: string,
  trustDomain: string,
  progress: (line: string) => void = () => {},
): Promise<PlatformFiles> {
  const layout = dataDirLayout(root);
  await ensureDirs(layout);
  const caFile = path.join(layout.pki, 'ca.pem');
  const caKeyFile = path.join(layout.pki, 'ca-key.pem');
  const created = !(await exists(caFile));

  let ca: CertificateAuthority;
  if (created) {
    progress(`creating platform CA for trust domain ${trustDomain}`);
    ca = await createCertificateAuthority(trustDomain);
    await writePrivateFile(caKeyFile, ca.keyPem);
    await writePrivateFile(caFile, ca.certPem);
  } else {
    ca = { certPem: await readText(caFile), keyPem: await readText(caKeyFile) };
  }

  const identities = {} as PlatformFiles['identities'];
  for (const service of SERVICES) {
    const certFile = path.join(layout.pki, `${service}.pem`);
    const keyFile = path.join(layout.pki, `${service}-key.pem`);
    const uri = serviceIdentityUri(trustDomain, service);
    if (!(await exists(certFile))) {
      progress(`issuing service identity ${uri}`);
      const clientId = SERVICE_CLIENTS[service];
      const issued =
        clientId === undefined
          ? await issueServiceIdentity(ca, trustDomain, service)
          : await issueCertificate(ca, {
              commonName: `${service}.${trustDomain}`,
              uris: [uri, clientIdentityUri(clientId)],
              dns: ['localhost'],
              ips: ['127.0.0.1'],
              usages: ['server', 'client'],
            });
      await writePrivateFile(keyFile, issued.keyPem);
      await writePrivateFile(certFile, issued.certPem);
    }
    identities[service] = { certFile, keyFile, uri };
  }

  const keyFiles = {
    authority: path.join(layout.keys, 'authority-es256.pem'),
    gatewayEnvelope: path.join(layout.keys, 'gateway-envelope-ed25519.pem'),
    signer: path.join(layout.keys, 'signer-ed25519.pem'),
    log: path.join(layout.keys, 'log-ed25519.pem'),
    nonceSecret: path.join(layout.secrets, 'dpop-nonce.key'),
  };
  const kinds: Record<keyof typeof keyFiles, 'ec' | 'ed25519' | 'random'> = {
    authority: 'ec',
    gatewayEnvelope: 'ed25519',
    signer: 'ed25519',
    log: 'ed25519',
    nonceSecret: 'random',
  };
  for (const [name, file] of Object.entries(keyFiles) as [keyof typeof keyFiles, string][]) {
    if (await exists(file)) continue;
    progress(`generating ${name} key`);
    const kind = kinds[name];
    await writePrivateFile(
      file,
      kind === 'random' ? randomBytes(32).toString('base64url') : pkcs8Pem(kind),
    );
  }

  const admin = {
    clientId: 'stella-admin',
    certFile: path.join(layout.admin, 'admin.pem'),
    keyFile: path.join(layout.admin, 'admin-key.pem'),
  };
  if (!(await exists(admin.certFile))) {
    progress('issuing the admin credential');
    const issued = await issueCertificate(ca, {
      commonName: admin.clientId,
      uris: [clientIdentityUri(admin.clientId)],
      usages: ['client'],
      validityDays: 90,
    });
    await writePrivateFile(admin.keyFile, issued.keyPem);
    await writePrivateFile(admin.certFile, issued.certPem);
  }

  const demoKeyFile = path.join(layout.clients, 'demo.private.jwk.json');
  const demoProfile = path.join(layout.clients, 'demo.profile.json');
  if (!(await exists(demoKeyFile))) {
    progress('creating the demo client key');
    const pem = pkcs8Pem('ec');
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    await writePrivateFile(demoKeyFile, `${JSON.stringify({ ...jwk, alg: 'ES256' })}\n`);
  }
  const publicJwk = exportPublicJwk(importPrivateKey(Buffer.from(await readText(demoKeyFile))));
  const publicJwks = { keys: [{ ...publicJwk, alg: 'ES256', use: 'sig' }] };

  return {
    layout,
    trustDomain,
    caFile,
    caKeyFile,
    identities,
    keyRefs: {
      authority: fileRef(keyFiles.authority),
      gatewayEnvelope: fileRef(keyFiles.gatewayEnvelope),
      signer: fileRef(keyFiles.signer),
      log: fileRef(keyFiles.log),
      nonceSecret: fileRef(keyFiles.nonceSecret),
    },
    admin,
    demo: { clientId: 'demo', profileFile: demoProfile, privateJwkFile: demoKeyFile, publicJwks },
    created,
  };
}
