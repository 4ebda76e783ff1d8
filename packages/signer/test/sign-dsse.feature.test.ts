/**
 * Feature test of `POST /api/v1/signer/sign/dsse` over a real mTLS listener in behind-the-gateway
 * mode: gateway identity + identity envelope (@stella/auth), an mTLS-bound access token forwarded
 * in `Client-Cert`, the evidence store behind a fake attestor over mTLS, and a real registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import { request } from 'undici';
import type { Agent } from 'undici';
import { createIdGenerator, systemClock } from '@stella/core';
import type { Logger } from '@stella/core';
import { createSigningKey, createVerificationKey, generateSigningKey } from '@stella/crypto';
import { createMemoryKv } from '@stella/storage';
import {
  createHttpAttestorClient,
  createHttpEvidenceReader,
  createOciManifestFetcher,
  createSignerService,
  staticKeySource,
} from '../src/index.ts';
import type { SignerService } from '../src/index.ts';
import { createCapturingAuditSink } from './helpers/capture-audit.ts';
import { startFakeAttestor } from './helpers/fake-attestor.ts';
import type { FakeAttestor } from './helpers/fake-attestor.ts';
import { startFakeRegistry } from './helpers/fake-registry.ts';
import type { FakeRegistry } from './helpers/fake-registry.ts';
import { createTestPlatform } from './helpers/platform.ts';
import type { TokenOptions } from './helpers/platform.ts';
import { pushImage, startLocalRegistry } from './helpers/registry.ts';
import type { LocalRegistry } from './helpers/registry.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const SLSA = 'https://slsa.dev/provenance/v1';
const hexOf = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

// Top-level await: the platform (test CA and certificates) is built before the suite is declared.
const platform = await createTestPlatform();

describe('signer: sign/dsse behind the gateway', () => {
  const { privateKey } = generateSigningKey();
  const signingKey = createSigningKey(privateKey);
  const audit = createCapturingAuditSink();
  let attestor: FakeAttestor;
  let registry: LocalRegistry;
  let evil: FakeRegistry;
  let service: SignerService;
  let url: string;
  let agent: Agent;
  let image: { hex: string; bytes: Uint8Array };

  before(async () => {
    attestor = await startFakeAttestor(
      platform,
      (keyid) => (keyid === signingKey.keyid ? createVerificationKey(privateKey) : undefined),
      platform.authorityPublicKey,
    );
    registry = await startLocalRegistry();
    image = await pushImage(registry, 'team/app', 'v1');
    evil = await startFakeRegistry();
    const kv = createMemoryKv();
    const signerAgent = platform.signerAgent();
    service = await createSignerService({
      https: {
        key: platform.signer.key,
        cert: platform.signer.cert,
        ca: platform.pki.cert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      verifier: platform.createVerifier(kv, systemClock),
      kv,
      audit,
      logger: silent,
      clock: systemClock,
      ids: createIdGenerator(systemClock),
      keys: staticKeySource([{ key: signingKey, notBefore: Date.now() - 60_000 }]),
      evidence: createHttpEvidenceReader({
        attestorUrl: attestor.url,
        dispatcher: signerAgent,
        tokens: platform.signerTokens,
        timeoutMs: 5000,
      }),
      registries: createOciManifestFetcher({
        registries: [
          { host: registry.host, scheme: 'http' },
          { host: evil.host, scheme: 'http' },
        ],
        timeoutMs: 5000,
        maxRedirects: 0,
      }),
      attestor: createHttpAttestorClient({
        attestorUrl: attestor.url,
        dispatcher: signerAgent,
        tokens: platform.signerTokens,
        timeoutMs: 5000,
      }),
      maxInlineBytes: 64 * 1024,
      quotas: { tenants: { limited: { requestsPerMinute: 1 }, small: { maxRequestBytes: 512 } } },
    });
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const address = service.app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    url = `https://127.0.0.1:${address.port}`;
    agent = platform.gatewayAgent();
  });

  after(async () => {
    await service?.close();
    await attestor?.close();
    await evil?.close();
    await registry?.stop();
    await agent?.close();
  });

  /** What the gateway would forward for a client request (PLATFORM.md §4 identity propagation). */
  async function send(
    body: unknown,
    token: TokenOptions & { tid?: string | undefined } = {},
    extra: { contentType?: string } = {},
  ) {
    const tid = 'tid' in token ? token.tid : 'acme';
    const scope = token.scope ?? 'signer:sign';
    const { token: accessToken, jti } = await platform.mintAccessToken({ ...token, tid, scope });
    const cid = `test-${randomUUID()}`;
    const res = await request(`${url}/api/v1/signer/sign/dsse`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'client-cert': `:${b64(platform.client.der)}:`,
        'x-stellaops-identity': platform.identityEnvelope({
          ...(tid === undefined ? {} : { tid }),
          clientId: 'ci',
          scope,
          jti,
          certDer: platform.client.der,
          cid,
        }),
        ...(tid === undefined ? {} : { 'x-stellaops-tenant': tid }),
        'x-correlation-id': cid,
        'content-type': extra.contentType ?? 'application/json',
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers,
      text,
      json: JSON.parse(text) as Record<string, unknown>,
      cid,
    };
  }

  const inline = (bytes: string, name = 'artifact.bin') => ({
    name,
    digest: { sha256: hexOf(bytes) },
    content: b64(bytes),
  });
  const signBody = (subject: unknown[], extra: Record<string, unknown> = {}) => ({
    subject,
    predicateType: SLSA,
    predicate: { buildDefinition: { buildType: 'https://example.com/ci@v1' } },
    ...extra,
  });

  it('signs an inline artifact; the envelope verifies with node:crypto over hand-built PAE bytes', async () => {
    const r = await send(signBody([inline('hello world')], { attest: false }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-correlation-id'], r.cid);
    const envelope = r.json['envelope'] as {
      payload: string;
      payloadType: string;
      signatures: { keyid: string; sig: string }[];
    };
    assert.equal(r.json['receipt'], undefined);
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(envelope.signatures.length, 1);
    assert.equal(envelope.signatures[0]?.keyid, signingKey.keyid);
    const payload = Buffer.from(envelope.payload, 'base64');
    // DSSE protocol.md PAE, written out independently of @stella/crypto.
    const pae = Buffer.concat([
      Buffer.from(
        `DSSEv1 ${Buffer.byteLength(envelope.payloadType)} ${envelope.payloadType} ${payload.length} `,
      ),
      payload,
    ]);
    const publicKey = createPublicKey({ key: signingKey.publicJwk as never, format: 'jwk' });
    assert.equal(
      verify(null, pae, publicKey, Buffer.from(envelope.signatures[0]!.sig, 'base64')),
      true,
    );
    assert.deepEqual(JSON.parse(payload.toString('utf8')), {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact.bin', digest: { sha256: hexOf('hello world') } }],
      predicateType: SLSA,
      predicate: { buildDefinition: { buildType: 'https://example.com/ci@v1' } },
    });
    const events = audit.events.filter((e) => e.correlationId === r.cid);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'signer.sign.signed');
    assert.equal(events[0]?.tenant, 'acme');
    assert.equal(JSON.stringify(events).includes(b64('hello world')), false);
  });

  it('is deterministic: the same request and key give a byte-identical envelope', async () => {
    const body = signBody([inline('same bytes')], { attest: false });
    const a = await send(body);
    const b = await send(body);
    assert.equal(a.status, 200);
    assert.equal(JSON.stringify(a.json['envelope']), JSON.stringify(b.json['envelope']));
  });

  it('signs an SBOM stored in the evidence store and returns the attestor receipt', async () => {
    const sbom = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] });
    const hex = attestor.putEvidence('acme', new TextEncoder().encode(sbom));
    const before = attestor.entries.length;
    const r = await send({
      subject: [
        { name: 'sbom.cdx.json', digest: { sha256: hex }, source: `evidence:sha256:${hex}` },
      ],
      predicateType: 'https://cyclonedx.org/bom',
      predicate: { note: 'sbom attestation' },
    });
    assert.equal(r.status, 200, r.text);
    const receipt = r.json['receipt'] as { uuid: string; index: number };
    assert.equal(typeof receipt.uuid, 'string');
    assert.equal(attestor.entries.length, before + 1);
    assert.equal(attestor.entries.at(-1)?.tenant, 'acme');
    const signed = audit.events.find((e) => e.correlationId === r.cid);
    assert.equal(signed?.properties?.['entryUuid'], receipt.uuid);
  });

  it('signs an image manifest held by the real local registry', async () => {
    const r = await send(
      signBody(
        [
          {
            name: `${registry.host}/team/app`,
            digest: { sha256: image.hex },
            source: `oci://${registry.host}/team/app@sha256:${image.hex}`,
          },
        ],
        { attest: false },
      ),
    );
    assert.equal(r.status, 200, r.text);
  });

  it('publishes its keys with validity windows', async () => {
    const res = await request(`${url}/api/v1/signer/keys`, { dispatcher: agent });
    const body = (await res.body.json()) as {
      keys: { keyid: string; alg: string; publicKey: unknown; notBefore: string }[];
    };
    assert.equal(res.statusCode, 200);
    assert.equal(body.keys[0]?.keyid, signingKey.keyid);
    assert.equal(body.keys[0]?.alg, 'EdDSA');
    assert.deepEqual(body.keys[0]?.publicKey, signingKey.publicJwk);
  });

  describe('refuses bad input: no signature, one audit event, a stable code', () => {
    const H = hexOf('x');
    const cases: {
      name: string;
      status: number;
      code: string;
      run: () => ReturnType<typeof send>;
    }[] = [
      {
        name: 'missing scope',
        status: 403,
        code: 'insufficient_scope',
        run: () => send(signBody([inline('a')]), { scope: 'attestor:read' }),
      },
      {
        name: 'token for another audience',
        status: 401,
        code: 'invalid_token',
        run: () => send(signBody([inline('a')]), { aud: 'attestor' }),
      },
      {
        name: 'token without tenant',
        status: 403,
        code: 'tenant_required',
        run: () => send(signBody([inline('a')]), { tid: undefined }),
      },
      {
        name: 'cross-tenant evidence reference (not found, never the other tenant bytes)',
        status: 422,
        code: 'artifact_unavailable',
        run: () => {
          const hex = attestor.putEvidence('other', new TextEncoder().encode('other tenant sbom'));
          return send(
            signBody([{ name: 'sbom', digest: { sha256: hex }, source: `evidence:sha256:${hex}` }]),
          );
        },
      },
      {
        name: 'subject without digest',
        status: 400,
        code: 'invalid_request',
        run: () => send(signBody([{ name: 'a', content: b64('a') }])),
      },
      {
        name: 'uppercase hex',
        status: 400,
        code: 'invalid_request',
        run: () =>
          send(signBody([{ ...inline('a'), digest: { sha256: hexOf('a').toUpperCase() } }])),
      },
      {
        name: 'short hex',
        status: 400,
        code: 'invalid_request',
        run: () => send(signBody([{ ...inline('a'), digest: { sha256: hexOf('a').slice(2) } }])),
      },
      {
        name: 'duplicate subjects',
        status: 400,
        code: 'invalid_request',
        run: () => send(signBody([inline('a'), inline('a')])),
      },
      {
        name: 'inline bytes differ from digest',
        status: 422,
        code: 'digest_mismatch',
        run: () => send(signBody([{ ...inline('a'), digest: { sha256: H } }])),
      },
      {
        name: 'evidence bytes differ from digest',
        status: 422,
        code: 'digest_mismatch',
        run: () => {
          const hex = attestor.putEvidence('acme', new TextEncoder().encode('real sbom'));
          return send(
            signBody([{ name: 'sbom', digest: { sha256: H }, source: `evidence:sha256:${hex}` }]),
          );
        },
      },
      {
        name: 'registry manifest differs from digest',
        status: 422,
        code: 'digest_mismatch',
        run: () =>
          send(
            signBody([
              {
                name: 'img',
                digest: { sha256: H },
                source: `oci://${registry.host}/team/app@sha256:${image.hex}`,
              },
            ]),
          ),
      },
      {
        name: 'registry answers with different bytes than the digest',
        status: 422,
        code: 'digest_mismatch',
        run: () => {
          evil.manifests.set(`/v2/team/app/manifests/sha256:${H}`, {
            body: new TextEncoder().encode('{"not":"it"}'),
          });
          return send(
            signBody([
              {
                name: 'img',
                digest: { sha256: H },
                source: `oci://${evil.host}/team/app@sha256:${H}`,
              },
            ]),
          );
        },
      },
      {
        name: 'oversized content',
        status: 422,
        code: 'artifact_unavailable',
        run: () => send(signBody([inline('z'.repeat(64 * 1024 + 1))])),
      },
      {
        name: 'registry outside the allow-list',
        status: 422,
        code: 'artifact_unavailable',
        run: () =>
          send(
            signBody([
              {
                name: 'img',
                digest: { sha256: H },
                source: `oci://registry.evil.example/team/app@sha256:${H}`,
              },
            ]),
          ),
      },
      {
        name: 'subject with no source',
        status: 422,
        code: 'artifact_unverified',
        run: () => send(signBody([{ name: 'a', digest: { sha256: H } }])),
      },
      {
        name: 'unknown predicate type',
        status: 403,
        code: 'predicate_not_allowed',
        run: () =>
          send(signBody([inline('a')], { predicateType: 'https://evil.example/anything' })),
      },
      {
        name: 'malformed JSON',
        status: 400,
        code: 'invalid_request',
        run: () => send('{"subject": ['),
      },
      {
        name: 'duplicate JSON keys',
        status: 400,
        code: 'invalid_request',
        run: () =>
          send(
            `{"subject":[],"subject":${JSON.stringify([inline('a')])},"predicateType":"${SLSA}","predicate":{}}`,
          ),
      },
      {
        name: 'non-JSON predicate',
        status: 400,
        code: 'invalid_request',
        run: () => send(signBody([inline('a')], { predicate: 'plain text' })),
      },
      {
        name: 'unknown field',
        status: 400,
        code: 'invalid_request',
        run: () => send(signBody([inline('a')], { keyid: 'mine' })),
      },
      {
        name: 'not JSON content type',
        status: 415,
        code: 'unsupported_media_type',
        run: () => send('x', {}, { contentType: 'text/plain' }),
      },
      {
        name: 'request bytes over the tenant quota',
        status: 429,
        code: 'quota_exceeded',
        run: () => send(signBody([inline('q'.repeat(600))]), { tid: 'small' }),
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const entriesBefore = attestor.entries.length;
        const r = await c.run();
        assert.equal(r.status, c.status, r.text);
        assert.deepEqual(Object.keys(r.json), ['error']);
        assert.deepEqual(r.json['error'], {
          code: c.code,
          message: (r.json['error'] as { message: string }).message,
          correlationId: r.cid,
        });
        assert.equal(r.text.includes('"envelope"'), false);
        assert.equal(r.headers['x-correlation-id'], r.cid);
        assert.equal(attestor.entries.length, entriesBefore);
        const events = audit.events.filter((e) => e.correlationId === r.cid);
        assert.equal(events.length, 1, `audit events for ${c.name}`);
        assert.equal(events[0]?.type, 'signer.sign.denied');
        assert.equal(events[0]?.reason, c.code);
        if (c.status === 401 || c.status === 403) {
          if (c.code !== 'predicate_not_allowed')
            assert.match(String(r.headers['www-authenticate']), /^Bearer /);
        }
      });
    }

    it('names the subject in a digest mismatch', async () => {
      const r = await send(
        signBody([inline('ok', 'first'), { ...inline('b', 'second'), digest: { sha256: H } }]),
      );
      assert.equal(r.status, 422);
      assert.match((r.json['error'] as { message: string }).message, /subject\[1\] "second"/);
    });

    it('quota exceeded: 429 with Retry-After, audited as rate_limited', async () => {
      const first = await send(signBody([inline('rate')], { attest: false }), { tid: 'limited' });
      assert.equal(first.status, 200, first.text);
      const second = await send(signBody([inline('rate')], { attest: false }), { tid: 'limited' });
      assert.equal(second.status, 429);
      assert.equal((second.json['error'] as { code: string }).code, 'quota_exceeded');
      const retryAfter = Number(second.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60);
      const event = audit.events.find((e) => e.correlationId === second.cid);
      assert.equal(event?.outcome, 'rate_limited');
      assert.equal(event?.tenant, 'limited');
    });

    it('a request without the gateway envelope is refused (untrusted upstream path)', async () => {
      const { token } = await platform.mintAccessToken({ tid: 'acme' });
      const res = await request(`${url}/api/v1/signer/sign/dsse`, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          authorization: `Bearer ${token}`,
          'client-cert': `:${b64(platform.client.der)}:`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(signBody([inline('a')])),
      });
      const body = await res.body.text();
      assert.equal(res.statusCode >= 400 && res.statusCode < 500, true, body);
      assert.equal(body.includes('"envelope"'), false);
    });
  });
});
