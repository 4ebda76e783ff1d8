/**
 * The composition root end to end: secrets resolved from `file:` references, JWKS fetched from
 * a stand-in Authority internal listener over mTLS with the gateway's service identity, and the
 * revocation poller wired fail-closed (no bundle yet → 503 `revocations_stale`, never "not
 * revoked").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createSecretResolver, fileSecretProvider } from '@stella/runtime';
import { createTestCa, serviceUri } from '@stella/testkit';
import { composeGatewayService } from '../src/compose.ts';
import type { ComposedGateway } from '../src/compose.ts';
import { createMemoryAudit, createMemoryLogger } from './helpers/fakes.ts';
import { startRecordingUpstream } from './helpers/fixture.ts';
import {
  ISSUER,
  createDpopClient,
  createTestKey,
  jwksOf,
  mintAccessToken,
} from './helpers/tokens.ts';

const EXTERNAL = 'https://gw.compose.local';
const TRUST_DOMAIN = 'test.local';
const SIGN = '/api/v1/signer/sign/dsse';
let dir: string;
let authority: FastifyInstance;
let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gateway: ComposedGateway;
const jwksPeers: (string | undefined)[] = [];
const authorityKey = await createTestKey();

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stella-gw-compose-'));
  const ca = await createTestCa();
  const gw = await ca.issue('gateway', { uris: [serviceUri('gateway', TRUST_DOMAIN)] });
  const auth = await ca.issue('authority', { uris: [serviceUri('authority', TRUST_DOMAIN)] });
  const envelope = generateKeyPairSync('ed25519').privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  });
  const files: Record<string, string | Uint8Array> = {
    'gw.key': gw.key,
    'gw.crt': gw.cert,
    'ca.crt': ca.cert,
    'envelope.key': String(envelope),
    nonce: new Uint8Array(32).fill(3),
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content, { mode: 0o600 });
  }
  authority = fastify({
    https: {
      key: auth.key,
      cert: auth.cert,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
  authority.get('/jwks', async (request) => {
    jwksPeers.push((request.raw.socket as TLSSocket).getPeerCertificate().subjectaltname);
    return jwksOf(authorityKey);
  });
  authority.get('/revocations', async (_request, reply) => reply.code(503).send({}));
  await authority.listen({ host: '127.0.0.1', port: 0 });
  const authorityUrl = `https://localhost:${(authority.server.address() as AddressInfo).port}`;
  upstream = await startRecordingUpstream();
  const ref = (name: string) => `file:${path.join(dir, name)}`;
  gateway = await composeGatewayService(
    {
      externalUrl: EXTERNAL,
      issuer: ISSUER,
      jwksUrl: `${authorityUrl}/jwks`,
      revocationsUrl: `${authorityUrl}/revocations`,
      identity: { keyRef: ref('gw.key'), certRef: ref('gw.crt'), caRef: ref('ca.crt') },
      envelope: { keyRef: ref('envelope.key'), kid: 'gw-1' },
      nonceSecretRef: ref('nonce'),
      upstreams: {
        authority: { url: upstream.url },
        signer: { url: upstream.url },
        attestor: { url: upstream.url },
      },
    },
    {
      secrets: createSecretResolver({ providers: [fileSecretProvider()] }),
      audit: createMemoryAudit(),
      logger: createMemoryLogger(),
    },
  );
});

after(async () => {
  await gateway.close();
  await authority.close();
  await upstream.app.close();
  await rm(dir, { recursive: true, force: true });
});

test('composed gateway: JWKS over mTLS as svc/gateway; revocations fail closed', async () => {
  assert.equal(
    (
      await gateway.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { host: 'gw.compose.local' },
      })
    ).statusCode,
    200,
  );
  const dpop = await createDpopClient();
  const now = Math.floor(Date.now() / 1000);
  const at = await mintAccessToken(authorityKey, now, { jkt: dpop.jkt });
  // No nonce: the signer route demands one, but token checks (incl. revocation) come first.
  const proof = await dpop.proof('POST', `${EXTERNAL}${SIGN}`, { token: at, iat: now });
  const res = await gateway.app.inject({
    method: 'POST',
    url: SIGN,
    headers: {
      host: 'gw.compose.local',
      'content-type': 'application/json',
      authorization: `DPoP ${at}`,
      dpop: proof,
    },
    payload: '{}',
  });
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().error.code, 'revocations_stale');
  assert.equal(res.headers['www-authenticate'], undefined);
  assert.ok(jwksPeers.some((san) => san?.includes('URI:spiffe://test.local/svc/gateway')));
  assert.equal(upstream.seen.length, 0);
});

test('config with unknown keys refuses to start', async () => {
  await assert.rejects(
    composeGatewayService(
      { externalUrl: EXTERNAL, surprise: true },
      {
        secrets: createSecretResolver({ providers: [fileSecretProvider()] }),
        audit: createMemoryAudit(),
        logger: createMemoryLogger(),
      },
    ),
    TypeError,
  );
});
