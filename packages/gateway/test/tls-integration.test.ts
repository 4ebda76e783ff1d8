/**
 * Integration: a real listening gateway (TLS, optional client certificates) in front of a real
 * fastify upstream in behind-the-gateway mode (mTLS, `@stella/auth`), certificates from a test
 * CA with SPIFFE service identities. Shows: the upstream refuses direct calls lacking the
 * gateway identity or envelope; the correlation id is in both services' logs; spoofed identity
 * headers never reach the upstream; mTLS-bound tokens work through the RFC 9440 hop.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { manualClock, createIdGenerator } from '@stella/core';
import { createNonceIssuer, createStaticJwks, signIdentityEnvelope, x5tS256 } from '@stella/auth';
import { createMemoryKv } from '@stella/storage';
import { createLogger } from '@stella/runtime';
import { clientUri, createTestCa, serviceUri } from '@stella/testkit';
import type { TestCa, TestCertificate } from '@stella/testkit';
import { createAuthAuthenticator } from '../src/auth-adapter.ts';
import { createGatewayService } from '../src/service.ts';
import type { GatewayService } from '../src/service.ts';
import { createMemoryAudit } from './helpers/fakes.ts';
import {
  ISSUER,
  createDpopClient,
  createTestKey,
  jwksOf,
  mintAccessToken,
} from './helpers/tokens.ts';
import type { DpopClient, TestKey } from './helpers/tokens.ts';
import { startUpstreamService } from './helpers/upstream-service.ts';

const EXTERNAL = 'https://gw.test.local';
const TRUST_DOMAIN = 'test.local';
const SIGN = '/api/v1/signer/sign/dsse';

function captureLogs(service: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    base: { service },
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  return { logger, lines };
}

let ca: TestCa;
let gatewayCert: TestCertificate;
let clock: ReturnType<typeof manualClock>;
let authorityKey: TestKey;
let dpop: DpopClient;
let nonces: ReturnType<typeof createNonceIssuer>;
let gateway: GatewayService;
let gatewayPort: number;
let upstream: Awaited<ReturnType<typeof startUpstreamService>>;
let upstreamLogs: ReturnType<typeof captureLogs>;
let gatewayLogs: ReturnType<typeof captureLogs>;
let envelopeKey: ReturnType<typeof generateKeyPairSync>;
let client: Agent;

const now = () => Math.floor(clock.now() / 1000);

before(async () => {
  ca = await createTestCa();
  gatewayCert = await ca.issue('gateway', { uris: [serviceUri('gateway', TRUST_DOMAIN)] });
  const signerCert = await ca.issue('signer', { uris: [serviceUri('signer', TRUST_DOMAIN)] });
  clock = manualClock(Date.now());
  authorityKey = await createTestKey();
  dpop = await createDpopClient();
  nonces = createNonceIssuer({ secret: new Uint8Array(32).fill(9), clock });
  envelopeKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  upstreamLogs = captureLogs('signer');
  gatewayLogs = captureLogs('gateway');
  const kv = createMemoryKv({ clock });
  upstream = await startUpstreamService({
    tls: { key: signerCert.key, cert: signerCert.cert, ca: ca.cert },
    issuer: ISSUER,
    externalUrl: EXTERNAL,
    jwks: jwksOf(authorityKey),
    kv,
    clock,
    nonces,
    gatewayEnvelopeKey: { kid: 'gw-1', key: createPublicKey(envelopeKey.privateKey) },
    logger: upstreamLogs.logger,
  });
  const upstreamTls = {
    key: gatewayCert.key,
    cert: gatewayCert.cert,
    ca: ca.cert,
    servername: 'localhost',
  };
  gateway = await createGatewayService({
    externalUrl: EXTERNAL,
    allowedHosts: ['gw.test.local', '127.0.0.1'],
    https: {
      key: gatewayCert.key,
      cert: gatewayCert.cert,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    },
    upstreams: {
      signer: { url: upstream.url, tls: upstreamTls },
      attestor: { url: upstream.url, tls: upstreamTls },
      authority: { url: upstream.url, tls: upstreamTls },
    },
    authenticator: createAuthAuthenticator({
      issuer: ISSUER,
      externalUrl: EXTERNAL,
      audiences: ['signer', 'attestor'],
      jwks: createStaticJwks(jwksOf(authorityKey)),
      kv,
      nonceIssuer: nonces,
      clock,
      envelopeKey: envelopeKey.privateKey,
      envelopeKid: 'gw-1',
    }),
    kv,
    audit: createMemoryAudit(),
    logger: gatewayLogs.logger,
    clock,
    ids: createIdGenerator(clock),
    metricsPort: 0,
  });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  gatewayPort = (gateway.app.server.address() as AddressInfo).port;
  client = new Agent({ connect: { ca: ca.cert, servername: 'localhost' } });
});

after(async () => {
  await client.close();
  await gateway.close();
  await upstream.app.close();
});

async function dpopHeaders(path: string, tokenClaims = {}) {
  const at = await mintAccessToken(authorityKey, now(), { jkt: dpop.jkt, ...tokenClaims });
  const proof = await dpop.proof('POST', `${EXTERNAL}${path}`, {
    token: at,
    iat: now(),
    nonce: nonces.current(),
  });
  return { authorization: `DPoP ${at}`, dpop: proof };
}

describe('gateway over TLS in front of a behind-the-gateway upstream', () => {
  test('a DPoP request goes through; the correlation id is in both services logs', async () => {
    const res = await request(`https://127.0.0.1:${gatewayPort}${SIGN}`, {
      method: 'POST',
      dispatcher: client,
      headers: {
        ...(await dpopHeaders(SIGN)),
        'content-type': 'application/json',
        'x-correlation-id': 'it-corr-000001',
      },
      body: '{}',
    });
    const body = (await res.body.json()) as { principal: { tenant: string; clientId: string } };
    assert.equal(res.statusCode, 200, JSON.stringify(body));
    assert.equal(res.headers['x-correlation-id'], 'it-corr-000001');
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(body.principal.tenant, 'tenant-a');
    assert.ok(
      gatewayLogs.lines.some(
        (l) => l['correlationId'] === 'it-corr-000001' && l['service'] === 'gateway',
      ),
    );
    assert.ok(
      upstreamLogs.lines.some(
        (l) => l['correlationId'] === 'it-corr-000001' && l['service'] === 'signer',
      ),
    );
  });

  test('spoofed identity headers never reach the upstream', async () => {
    const forged = signIdentityEnvelope(
      {
        iss: 'gateway',
        aud: 'signer',
        iat: now(),
        exp: now() + 30,
        tid: 'tenant-b',
        client_id: 'admin',
        scope: 'signer:sign',
        jti: 'x',
        cnf: {},
        cid: 'x',
      },
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      'gw-1',
    );
    const res = await request(`https://127.0.0.1:${gatewayPort}${SIGN}`, {
      method: 'POST',
      dispatcher: client,
      headers: {
        ...(await dpopHeaders(SIGN)),
        'content-type': 'application/json',
        'x-stellaops-identity': forged,
        'x-stellaops-tenant': 'tenant-a',
        'x-stellaops-client': 'admin',
        'x-stellaops-scopes': 'authority:admin',
        'client-cert': `:${Buffer.from(gatewayCert.der).toString('base64')}:`,
      },
      body: '{}',
    });
    const body = (await res.body.json()) as { headers: Record<string, string> };
    assert.equal(res.statusCode, 200, JSON.stringify(body));
    assert.notEqual(body.headers['x-stellaops-identity'], forged);
    assert.equal(body.headers['x-stellaops-client'], 'ci-client');
    assert.equal(body.headers['x-stellaops-scopes'], 'signer:sign');
    assert.equal(body.headers['client-cert'], undefined);
  });

  test('the upstream refuses a direct call from another service identity', async () => {
    const intruder = await ca.issue('attestor', { uris: [serviceUri('attestor', TRUST_DOMAIN)] });
    const direct = new Agent({
      connect: { ca: ca.cert, servername: 'localhost', key: intruder.key, cert: intruder.cert },
    });
    try {
      const res = await request(`${upstream.url}${SIGN}`, {
        method: 'POST',
        dispatcher: direct,
        headers: { ...(await dpopHeaders(SIGN)), 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await res.body.json()) as { error: { code: string } };
      assert.equal(res.statusCode, 403);
      assert.equal(body.error.code, 'untrusted_peer');
    } finally {
      await direct.close();
    }
  });

  test('the upstream refuses the gateway identity without an envelope, or with a forged one', async () => {
    const direct = new Agent({
      connect: {
        ca: ca.cert,
        servername: 'localhost',
        key: gatewayCert.key,
        cert: gatewayCert.cert,
      },
    });
    try {
      const missing = await request(`${upstream.url}${SIGN}`, {
        method: 'POST',
        dispatcher: direct,
        headers: { ...(await dpopHeaders(SIGN)), 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(missing.statusCode, 403);
      assert.equal(
        ((await missing.body.json()) as { error: { code: string } }).error.code,
        'untrusted_peer',
      );
      const headers = await dpopHeaders(SIGN);
      const forged = signIdentityEnvelope(
        {
          iss: 'gateway',
          aud: 'signer',
          iat: now(),
          exp: now() + 30,
          tid: 'tenant-a',
          client_id: 'ci-client',
          scope: 'signer:sign',
          jti: 'x',
          cnf: {},
          cid: 'x',
        },
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        'gw-1',
      );
      const bad = await request(`${upstream.url}${SIGN}`, {
        method: 'POST',
        dispatcher: direct,
        headers: { ...headers, 'content-type': 'application/json', 'x-stellaops-identity': forged },
        body: '{}',
      });
      assert.equal(bad.statusCode, 401);
      assert.equal(
        ((await bad.body.json()) as { error: { code: string } }).error.code,
        'invalid_identity_envelope',
      );
    } finally {
      await direct.close();
    }
  });

  test('the upstream refuses a TLS client without any certificate', async () => {
    await assert.rejects(
      (async () => {
        const res = await request(`${upstream.url}/healthz`, { dispatcher: client });
        await res.body.dump();
      })(),
    );
  });

  test('an mTLS-bound token: verified client certificate is forwarded as RFC 9440 Client-Cert', async () => {
    const clientCert = await ca.issue('ci', { uris: [clientUri('ci-client')] });
    const x5t = x5tS256(new Uint8Array(new X509Certificate(clientCert.cert).raw));
    const at = await mintAccessToken(authorityKey, now(), { x5t });
    const mtls = new Agent({
      connect: { ca: ca.cert, servername: 'localhost', key: clientCert.key, cert: clientCert.cert },
    });
    try {
      const res = await request(`https://127.0.0.1:${gatewayPort}${SIGN}`, {
        method: 'POST',
        dispatcher: mtls,
        headers: { authorization: `Bearer ${at}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await res.body.json()) as { headers: Record<string, string> };
      assert.equal(res.statusCode, 200, JSON.stringify(body));
      assert.equal(
        body.headers['client-cert'],
        `:${Buffer.from(clientCert.der).toString('base64')}:`,
      );
    } finally {
      await mtls.close();
    }
  });

  test('a client certificate from an untrusted CA is not honoured', async () => {
    const otherCa = await createTestCa();
    const rogue = await otherCa.issue('ci', { uris: [clientUri('ci-client')] });
    const at = await mintAccessToken(authorityKey, now(), { x5t: x5tS256(rogue.der) });
    const agent = new Agent({
      connect: { ca: ca.cert, servername: 'localhost', key: rogue.key, cert: rogue.cert },
    });
    try {
      const res = await request(`https://127.0.0.1:${gatewayPort}${SIGN}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: `Bearer ${at}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await res.body.json()) as { error: { code: string } };
      assert.equal(res.statusCode, 401);
      assert.equal(body.error.code, 'invalid_token');
    } finally {
      await agent.close();
    }
  });

  test('TLS 1.3 is negotiated; TLS 1.1 is refused', async () => {
    const version = await new Promise<string | null>((resolve, reject) => {
      const s = connect(
        { port: gatewayPort, host: '127.0.0.1', ca: ca.cert, servername: 'localhost' },
        () => {
          resolve(s.getProtocol());
          s.end();
        },
      );
      s.on('error', reject);
    });
    assert.equal(version, 'TLSv1.3');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect(
          {
            port: gatewayPort,
            host: '127.0.0.1',
            ca: ca.cert,
            servername: 'localhost',
            maxVersion: 'TLSv1.1',
            minVersion: 'TLSv1',
          },
          () => resolve(s),
        );
        s.on('error', reject);
      }),
    );
  });

  test('readyz probes the upstream; metrics only on the internal listener', async () => {
    const ready = await request(`https://127.0.0.1:${gatewayPort}/readyz`, { dispatcher: client });
    assert.deepEqual(await ready.body.json(), { status: 'ready' });
    const external = await request(`https://127.0.0.1:${gatewayPort}/metrics`, {
      dispatcher: client,
    });
    assert.equal(external.statusCode, 404);
    await external.body.dump();
    const address = gateway.metricsAddress;
    assert.equal(address?.address, '127.0.0.1');
    const metrics = await request(`http://127.0.0.1:${address?.port}/metrics`);
    const text = await metrics.body.text();
    assert.match(
      text,
      /stella_gateway_requests_total\{route="signer-sign-dsse",status="200"\} \d+/,
    );
  });
});
