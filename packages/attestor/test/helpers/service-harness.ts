/**
 * A miniature platform around a real attestor HTTPS listener on 127.0.0.1: a test CA with SPIFFE
 * identities (gateway, signer, an unrelated service), an in-test Authority key (tokens minted with
 * `jose`, verified through a static JWKS), the gateway's identity-envelope key, PGlite and a
 * filesystem object store. Requests go through undici agents presenting each identity.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import {
  createAccessTokenVerifier,
  createStaticJwks,
  signIdentityEnvelope,
  x5tS256,
} from '@stella/auth';
import { createIdGenerator, systemClock } from '@stella/core';
import type { AuditEvent, Logger, SqlDatabase } from '@stella/core';
import { createFsObjectStore, createMemoryKv, createPgliteDatabase } from '@stella/storage';
import { createTestCa } from '@stella/testkit';
import type { TestCertificate } from '@stella/testkit';
import { attestorMigrations } from '../../src/migrations.ts';
import { createAttestorService } from '../../src/service.ts';
import type { AttestorService } from '../../src/service.ts';
import { createStaticSignerKeySource } from '../../src/submission/signer-keys.ts';
import type { TrustedSignerKey } from '../../src/trust-file.ts';

export const TRUST_DOMAIN = 'stella.test';
const ISSUER = 'https://authority.stella.test';

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export interface CallOptions {
  readonly as: 'gateway' | 'signer' | 'stranger';
  readonly tenant: string;
  readonly scope: string;
  readonly method?: Dispatcher.HttpMethod;
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  /** Token audience (default `attestor`). */
  readonly aud?: string;
}

export interface Harness {
  readonly url: string;
  readonly service: AttestorService;
  readonly db: SqlDatabase;
  readonly objectDir: string;
  readonly audit: AuditEvent[];
  readonly logKey: ReturnType<typeof generateKeyPairSync>['privateKey'];
  call(
    pathAndQuery: string,
    options: CallOptions,
  ): Promise<{ status: number; headers: Record<string, unknown>; text: string }>;
  close(): Promise<void>;
}

export async function startHarness(options: {
  signerKeys: readonly TrustedSignerKey[];
  maxEnvelopeBytes?: number;
  maxEvidenceBytes?: number;
  pageSize?: number;
}): Promise<Harness> {
  const pki = await createTestCa();
  const certs: Record<CallOptions['as'], TestCertificate> = {
    gateway: await pki.issue('gateway', { uris: [`spiffe://${TRUST_DOMAIN}/svc/gateway`] }),
    signer: await pki.issue('signer', { uris: [`spiffe://${TRUST_DOMAIN}/svc/signer`] }),
    stranger: await pki.issue('stranger', { uris: [`spiffe://${TRUST_DOMAIN}/svc/authority`] }),
  };
  const server = await pki.issue('attestor', { uris: [`spiffe://${TRUST_DOMAIN}/svc/attestor`] });
  const client = await pki.issue('ci-client', { uris: ['urn:stellaops:client:ci'] });
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const gatewayKey = generateKeyPairSync('ed25519');
  const jwks = createStaticJwks({
    keys: [
      { ...authority.publicKey.export({ format: 'jwk' }), kid: 'a1', alg: 'ES256', use: 'sig' },
    ],
  });
  const db = createPgliteDatabase({ dataDir: 'memory://' });
  await db.migrate(attestorMigrations);
  const objectDir = mkdtempSync(path.join(tmpdir(), 'attestor-objects-'));
  const audit: AuditEvent[] = [];
  const logKey = generateKeyPairSync('ed25519').privateKey;
  const service = await createAttestorService({
    https: {
      key: server.key,
      cert: server.cert,
      ca: pki.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    trustDomain: TRUST_DOMAIN,
    envelopeKeys: new Map([['gw1', { kid: 'gw1', alg: 'EdDSA', key: gatewayKey.publicKey }]]),
    accessTokens: createAccessTokenVerifier({
      issuer: ISSUER,
      audience: 'attestor',
      jwks,
      clock: systemClock,
    }),
    externalUrl: 'https://gateway.stella.test',
    kv: createMemoryKv({ maxEntries: 10_000 }),
    db,
    objects: createFsObjectStore({ dir: objectDir }),
    audit: { append: (event) => Promise.resolve(void audit.push(event)) },
    logger: silentLogger,
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    logPrivateKey: logKey,
    logPrefix: 'stella.test/tlog',
    signerKeys: createStaticSignerKeySource(options.signerKeys),
    batchDelayMs: 2,
    ...(options.maxEnvelopeBytes === undefined
      ? {}
      : { maxEnvelopeBytes: options.maxEnvelopeBytes }),
    ...(options.maxEvidenceBytes === undefined
      ? {}
      : { maxEvidenceBytes: options.maxEvidenceBytes }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const address = service.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const url = `https://127.0.0.1:${address.port}`;
  const agents = Object.fromEntries(
    Object.entries(certs).map(([name, cert]) => [
      name,
      new Agent({ connect: { key: cert.key, cert: cert.cert, ca: pki.cert } }),
    ]),
  ) as Record<CallOptions['as'], Agent>;

  async function mint(claims: { aud: string; scope: string; tid: string; bound: Uint8Array }) {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      client_id: 'ci',
      scope: claims.scope,
      tid: claims.tid,
      cnf: { 'x5t#S256': x5tS256(claims.bound) },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'a1' })
      .setIssuer(ISSUER)
      .setSubject('ci')
      .setAudience(claims.aud)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .setJti(jti)
      .sign(authority.privateKey);
    return { token, jti };
  }

  return {
    url,
    service,
    db,
    objectDir,
    audit,
    logKey,
    async call(pathAndQuery, call) {
      const aud = call.aud ?? 'attestor';
      // Through the gateway the token is bound to the END client's certificate, forwarded as
      // RFC 9440 Client-Cert with the gateway's identity envelope; the signer binds to itself.
      const bound = call.as === 'gateway' ? client.der : certs[call.as].der;
      const { token, jti } = await mint({ aud, scope: call.scope, tid: call.tenant, bound });
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...call.headers };
      if (call.as === 'gateway') {
        const now = Math.floor(Date.now() / 1000);
        headers['client-cert'] = `:${Buffer.from(client.der).toString('base64')}:`;
        headers['x-stellaops-identity'] = signIdentityEnvelope(
          {
            iss: 'gateway',
            aud,
            iat: now,
            exp: now + 30,
            tid: call.tenant,
            client_id: 'ci',
            scope: call.scope,
            jti,
            cnf: { 'x5t#S256': x5tS256(client.der) },
            cid: randomUUID(),
          },
          gatewayKey.privateKey,
          'gw1',
        );
      }
      const res = await request(`${url}${pathAndQuery}`, {
        method: call.method ?? 'GET',
        dispatcher: agents[call.as],
        headers,
        ...(call.body === undefined ? {} : { body: call.body }),
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    async close() {
      await service.close();
      await Promise.all(Object.values(agents).map((a) => a.close()));
      await db.close();
    },
  };
}
