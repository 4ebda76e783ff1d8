import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import { isStellaError, manualClock } from '@stella/core';
import { envSecretProvider } from '../../src/secrets/env-provider.ts';
import { fileSecretProvider } from '../../src/secrets/file-provider.ts';
import { createSecretResolver } from '../../src/secrets/index.ts';
import { parseVaultRef, vaultSecretProvider } from '../../src/secrets/vault-provider.ts';

/**
 * No real Vault runs on the development machines. This local HTTPS server speaks the two Vault
 * API calls the provider uses (KV v2 read and Kubernetes auth login), with a self-signed
 * certificate generated per run.
 */
const ROOT_TOKEN = 'hvs.test-root-token';
const K8S_JWT = 'eyJhbGciOiJSUzI1NiJ9.service-account.sig';
const LOGIN_TOKEN = 'hvs.k8s-login-token';
const SECRET_VALUE = 'vault-held-signing-key';

interface Seen {
  method: string;
  url: string;
  token: string | undefined;
  namespace: string | undefined;
  body: string;
}

async function selfSigned(): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto as never);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys: keys as never,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}

let server: Server;
let address = '';
let ca = '';
let dir = '';
const seen: Seen[] = [];

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const token = req.headers['x-vault-token'] as string | undefined;
  seen.push({
    method: req.method ?? '',
    url: req.url ?? '',
    token,
    namespace: req.headers['x-vault-namespace'] as string | undefined,
    body,
  });
  if (req.method === 'POST' && req.url === '/v1/auth/kubernetes/login') {
    const parsed = JSON.parse(body) as { role?: string; jwt?: string };
    if (parsed.role !== 'stella-signer' || parsed.jwt !== K8S_JWT)
      return reply(res, 403, { errors: ['permission denied'] });
    return reply(res, 200, {
      auth: { client_token: LOGIN_TOKEN, lease_duration: 60, renewable: true },
    });
  }
  if (token !== ROOT_TOKEN && token !== LOGIN_TOKEN)
    return reply(res, 403, { errors: ['permission denied'] });
  switch (req.url) {
    case '/v1/secret/data/stella/signer':
      return reply(res, 200, {
        data: { data: { key: SECRET_VALUE, count: 3 }, metadata: { version: 2 } },
      });
    case '/v1/secret/data/dup':
      res.end('{"data":{"data":{"key":"a","key":"b"}}}');
      return;
    case '/v1/secret/data/redirect':
      res.writeHead(307, { location: '/v1/secret/data/stella/signer' });
      res.end();
      return;
    default:
      return reply(res, 404, { errors: [] });
  }
}

before(async () => {
  const { certPem, keyPem } = await selfSigned();
  ca = certPem;
  dir = await mkdtemp(join(tmpdir(), 'stella-vault-'));
  await writeFile(join(dir, 'vault-token'), `${ROOT_TOKEN}\n`);
  await writeFile(join(dir, 'sa-token'), K8S_JWT);
  server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function tokenResolver(extra: { ca?: string; namespace?: string } = { ca }) {
  return createSecretResolver({
    providers: [
      fileSecretProvider(),
      vaultSecretProvider({
        address,
        auth: { method: 'token', tokenRef: `file:${join(dir, 'vault-token')}` },
        ...extra,
      }),
    ],
  });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isStellaError(error) && error.code === 'secret_unavailable');
    for (const secret of [ROOT_TOKEN, LOGIN_TOKEN, K8S_JWT, SECRET_VALUE]) {
      assert.ok(!`${error.message} ${error.detail}`.includes(secret));
    }
    return error.message;
  }
  assert.fail('resolved');
}

describe('vault provider (KV v2 over HTTPS)', () => {
  it('reads a field with a token from another secret reference', async () => {
    seen.length = 0;
    const secret = await tokenResolver({ ca, namespace: 'team-a' }).resolveSecret(
      'vault:secret/stella/signer#key',
    );
    assert.equal(secret.revealText(), SECRET_VALUE);
    assert.deepEqual(
      seen.map((r) => [r.method, r.url, r.token, r.namespace]),
      [['GET', '/v1/secret/data/stella/signer', ROOT_TOKEN, 'team-a']],
    );
  });

  it('logs in with Kubernetes auth and caches the token for most of its lease', async () => {
    seen.length = 0;
    const clock = manualClock(1_000_000);
    const resolver = createSecretResolver({
      providers: [
        vaultSecretProvider({
          address,
          ca,
          clock,
          auth: { method: 'kubernetes', role: 'stella-signer', jwtFile: join(dir, 'sa-token') },
        }),
      ],
    });
    assert.equal(
      (await resolver.resolveSecret('vault:secret/stella/signer#key')).revealText(),
      SECRET_VALUE,
    );
    await resolver.resolveSecret('vault:secret/stella/signer#key');
    clock.advance(60_000);
    await resolver.resolveSecret('vault:secret/stella/signer#key');
    assert.deepEqual(
      seen.map((r) => [r.method, r.url, r.token]),
      [
        ['POST', '/v1/auth/kubernetes/login', undefined],
        ['GET', '/v1/secret/data/stella/signer', LOGIN_TOKEN],
        ['GET', '/v1/secret/data/stella/signer', LOGIN_TOKEN],
        ['POST', '/v1/auth/kubernetes/login', undefined],
        ['GET', '/v1/secret/data/stella/signer', LOGIN_TOKEN],
      ],
    );
    assert.deepEqual(JSON.parse(seen[0]!.body), { role: 'stella-signer', jwt: K8S_JWT });
  });

  it('fails closed on a rejected login, missing paths and fields, and odd responses', async () => {
    const badRole = createSecretResolver({
      providers: [
        vaultSecretProvider({
          address,
          ca,
          auth: { method: 'kubernetes', role: 'other', jwtFile: join(dir, 'sa-token') },
        }),
      ],
    });
    assert.match(
      await failure(badRole.resolveSecret('vault:secret/stella/signer#key')),
      /HTTP 403/,
    );
    const resolver = tokenResolver();
    assert.match(await failure(resolver.resolveSecret('vault:secret/missing#key')), /HTTP 404/);
    assert.match(
      await failure(resolver.resolveSecret('vault:secret/stella/signer#nope')),
      /field missing or not a string/,
    );
    assert.match(
      await failure(resolver.resolveSecret('vault:secret/stella/signer#count')),
      /field missing or not a string/,
    );
    assert.match(await failure(resolver.resolveSecret('vault:secret/dup#key')), /\(invalid_json\)/);
    assert.match(await failure(resolver.resolveSecret('vault:secret/redirect#key')), /HTTP 307/);
  });

  it('refuses a server certificate that does not chain to the configured CA', async () => {
    const message = await failure(
      tokenResolver({}).resolveSecret('vault:secret/stella/signer#key'),
    );
    assert.match(message, /CERT|SIGNED|UNABLE/);
  });

  it('refuses plain http and credentials in the address', () => {
    const auth = { method: 'token', tokenRef: 'env:T' } as const;
    assert.throws(() => vaultSecretProvider({ address: 'http://127.0.0.1:8200', auth }), TypeError);
    assert.throws(
      () => vaultSecretProvider({ address: 'https://u:p@vault:8200', auth }),
      TypeError,
    );
  });

  it('stops a token reference that points back into vault from recursing forever', async () => {
    const resolver = createSecretResolver({
      providers: [
        envSecretProvider({}),
        vaultSecretProvider({
          address,
          ca,
          auth: { method: 'token', tokenRef: 'vault:secret/loop#t' },
        }),
      ],
    });
    assert.match(await failure(resolver.resolveSecret('vault:secret/loop#t')), /nested too deeply/);
  });
});

describe('parseVaultRef', () => {
  it('splits mount, path and field', () => {
    assert.deepEqual(parseVaultRef('secret/stella/signer#key'), {
      mount: 'secret',
      path: 'stella/signer',
      field: 'key',
    });
  });
  it('refuses malformed references', () => {
    for (const bad of [
      'secret#key',
      'secret/a',
      'secret/../x#k',
      'secret/a#',
      'secret//a#k',
      '/a#k',
      'secret/a%2f..#k',
      'secret/a#k#l',
      'secret/a?x=1#k',
    ]) {
      assert.throws(() => parseVaultRef(bad), Error, bad);
    }
  });
  it('property: accepted references only contain safe segments', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab./#%?-_') }), (ref) => {
        try {
          const parsed = parseVaultRef(ref);
          assert.ok(
            ![parsed.mount, ...parsed.path.split('/')].some(
              (p) => p === '..' || p === '.' || p === '',
            ),
          );
          assert.doesNotMatch(parsed.path + parsed.mount + parsed.field, /[%?#]/);
        } catch (error) {
          assert.ok(error instanceof Error);
        }
      }),
    );
  });
});
