/**
 * End to end (issue 7): the real platform (`stella up` as a child process on free ports), driven
 * through the gateway by the `stella` CLI (in-process) and by an independent client
 * (`openid-client` 6). Provisions a tenant and a client, gets a DPoP-bound token, puts evidence,
 * signs with attest, verifies offline, exports and verifies the audit chain; then checks that one
 * correlation id crosses every service, that tenants stay apart, and that no token, proof or
 * secret reached the logs or the audit export.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { createIdGenerator, sha256Digest, systemClock } from '@stella/core';
import { main } from '../../src/main.ts';
import { createAdminRequester } from '../../src/admin-request.ts';
import type { CliEnv } from '../../src/cli-env.ts';
import { openPlatformClient, defaultSecretResolver } from '../../src/client/platform-client.ts';
import { loadProfile } from '../../src/client/profile.ts';
import { startPlatformChild, removeDataDir, type PlatformChild } from './platform-child.ts';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function stella(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const env: CliEnv = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stderrIsTTY: false,
    adminRequest: createAdminRequester(),
  };
  const code = await main(argv, env);
  return { code, out, err };
}

function json<T = Record<string, unknown>>(run: Run): T {
  assert.equal(run.code, 0, `stella failed: ${run.err.join('\n')}`);
  return JSON.parse(run.out.join('\n')) as T;
}

describe('the platform end to end', { timeout: 240_000 }, () => {
  let p: PlatformChild;
  let work: string;
  let profile: string;
  let clientPrivateJwk: Record<string, string>;
  const secretsSeen: string[] = [];

  before(async () => {
    p = await startPlatformChild({ authority: { adminRequestsPerMinute: 1000 } });
    work = path.join(p.dataDir, 'e2e');
    await mkdir(work, { recursive: true });
  });
  after(async () => {
    const code = await p.stop();
    assert.equal(code, 0, `stella up did not stop cleanly:\n${p.stderr()}`);
    // STELLA_E2E_KEEP=1 keeps the data dir (logs, database) for debugging a failure.
    if (process.env.STELLA_E2E_KEEP !== '1') await removeDataDir(p.dataDir);
    else console.log(`kept ${p.dataDir}`);
  });

  test('an operator provisions a tenant and a private_key_jwt client through the admin API', async () => {
    const d = p.dataDir;
    assert.equal((await stella('tenants', 'add', 'acme', '--data-dir', d, '--json')).code, 0);
    const tenants = json<{ tenants: { id: string }[] } | { id: string }[]>(
      await stella('tenants', 'list', '--data-dir', d, '--json'),
    );
    assert.match(JSON.stringify(tenants), /"acme"/);

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    clientPrivateJwk = {
      ...(privateKey.export({ format: 'jwk' }) as Record<string, string>),
      alg: 'ES256',
    };
    secretsSeen.push(clientPrivateJwk['d']!);
    const keyFile = path.join(work, 'acme-ci.private.jwk.json');
    await writeFile(keyFile, JSON.stringify(clientPrivateJwk), { mode: 0o600 });
    const jwksFile = path.join(work, 'acme-ci.jwks.json');
    await writeFile(
      jwksFile,
      JSON.stringify({
        keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }],
      }),
    );
    const added = await stella(
      'clients',
      'add',
      '--id',
      'acme-ci',
      '--tenant',
      'acme',
      '--scopes',
      'evidence:read evidence:write signer:sign attestor:read attestor:verify',
      '--audiences',
      'signer attestor',
      '--jwks-file',
      jwksFile,
      '--data-dir',
      d,
      '--json',
    );
    assert.equal(added.code, 0, added.err.join('\n'));
    profile = path.join(work, 'acme-ci.profile.json');
    await writeFile(
      profile,
      JSON.stringify({
        issuer: p.ready.issuer,
        gateway: p.ready.gateway,
        clientId: 'acme-ci',
        tenant: 'acme',
        authMethod: 'private_key_jwt',
        privateKey: `file:${keyFile}`,
        caFile: p.ready.caFile,
      }),
    );
  });

  test('a tls_client_auth client: certificate from `stella pki issue-client`, token through the gateway', async () => {
    const d = p.dataDir;
    const issued = json<{ certFile: string; keyFile: string; san: string }>(
      await stella(
        'pki',
        'issue-client',
        '--id',
        'acme-mtls',
        '--tenant',
        'acme',
        '--out-dir',
        work,
        '--data-dir',
        d,
        '--json',
      ),
    );
    assert.equal(issued.san, 'urn:stellaops:client:acme-mtls');
    const added = await stella(
      'clients',
      'add',
      '--id',
      'acme-mtls',
      '--tenant',
      'acme',
      '--scopes',
      'evidence:read evidence:write',
      // no --audiences: derived from the scopes (attestor)
      '--mtls',
      '--data-dir',
      d,
      '--json',
    );
    assert.equal(added.code, 0, added.err.join('\n'));
    const mtlsProfile = path.join(work, 'acme-mtls.profile.json');
    await writeFile(
      mtlsProfile,
      JSON.stringify({
        issuer: p.ready.issuer,
        gateway: p.ready.gateway,
        clientId: 'acme-mtls',
        tenant: 'acme',
        authMethod: 'tls_client_auth',
        certFile: issued.certFile,
        keyFile: issued.keyFile,
        caFile: p.ready.caFile,
      }),
    );
    // The gateway verifies the client certificate and forwards it to the Authority (RFC 9440).
    const token = json<{ access_token: string }>(
      await stella(
        'token',
        '--profile',
        mtlsProfile,
        '--audience',
        'attestor',
        '--scope',
        'evidence:write',
        '--json',
      ),
    );
    secretsSeen.push(token.access_token);
    const claims = JSON.parse(
      Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    assert.equal(claims['client_id'], 'acme-mtls');
    assert.equal(claims['tid'], 'acme');
    const put = await stella(
      'evidence',
      'put',
      path.join(work, 'acme-ci.jwks.json'),
      '--profile',
      mtlsProfile,
      '--json',
    );
    assert.equal(put.code, 0, put.err.join('\n'));
  });

  test('an independent client (openid-client 6) gets a DPoP-bound token through the gateway', async () => {
    const agent = new Agent({ connect: { ca: await readFile(p.ready.caFile, 'utf8') } });
    const customFetch = ((url: string, options: object) =>
      undiciFetch(url, { ...options, dispatcher: agent } as never)) as never;
    const key = await webcrypto.subtle.importKey(
      'jwk',
      clientPrivateJwk as webcrypto.JsonWebKey,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const config = await oidc.discovery(
      new URL(p.ready.issuer),
      'acme-ci',
      { token_endpoint_auth_method: 'private_key_jwt' },
      oidc.PrivateKeyJwt(key),
      { [oidc.customFetch]: customFetch },
    );
    config[oidc.customFetch] = customFetch;
    const dpopKeys = (await webcrypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    // audience signer needs a server nonce: openid-client retries use_dpop_nonce by itself.
    const tokens = await oidc.clientCredentialsGrant(
      config,
      { audience: 'signer', scope: 'signer:sign', tenant: 'acme' },
      { DPoP: oidc.getDPoPHandle(config, dpopKeys) },
    );
    secretsSeen.push(tokens.access_token);
    assert.equal(tokens.token_type, 'dpop');
    const claims = JSON.parse(
      Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    assert.equal(claims['tid'], 'acme');
    assert.equal(claims['aud'], 'signer');
    assert.ok((claims['cnf'] as Record<string, string>)['jkt']);
    assert.ok((claims['exp'] as number) - (claims['iat'] as number) <= 300);
    await agent.close();
  });

  let artifact: string;
  let bundle: string;
  let trust: string;

  test('the CLI gets a token, stores evidence, signs with attest and verifies offline', async () => {
    const token = json<{ access_token: string; token_type: string }>(
      await stella(
        'token',
        '--profile',
        profile,
        '--audience',
        'attestor',
        '--scope',
        'evidence:write',
        '--json',
      ),
    );
    assert.equal(token.token_type, 'DPoP');
    secretsSeen.push(token.access_token);

    artifact = path.join(work, 'sbom.cdx.json');
    await writeFile(
      artifact,
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }),
    );
    const put = json<{ digest: string; size: number }>(
      await stella('evidence', 'put', artifact, '--profile', profile, '--json'),
    );
    assert.equal(put.digest, sha256Digest(await readFile(artifact)));

    bundle = path.join(work, 'sbom.bundle.json');
    const signed = await stella(
      'sign',
      artifact,
      '--profile',
      profile,
      '--predicate-type',
      'https://slsa.dev/provenance/v1',
      '-o',
      bundle,
      '--json',
    );
    assert.equal(signed.code, 0, signed.err.join('\n'));
    const written = JSON.parse(await readFile(bundle, 'utf8')) as {
      envelope: unknown;
      receipt: { index: number };
    };
    assert.ok(written.envelope);
    assert.equal(typeof written.receipt.index, 'number');

    trust = path.join(work, 'trust.json');
    const exported = await stella(
      'trust',
      'export',
      '--profile',
      profile,
      '--data-dir',
      p.dataDir,
      '-o',
      trust,
    );
    assert.equal(exported.code, 0, exported.err.join('\n'));
    const verified = await stella(
      'verify',
      artifact,
      '--bundle',
      bundle,
      '--trust',
      trust,
      '--json',
    );
    assert.equal(verified.code, 0, verified.out.join('\n') + verified.err.join('\n'));
    assert.equal((JSON.parse(verified.out.join('')) as { ok: boolean }).ok, true);

    // A tampered artifact fails at the subject step, offline.
    const tampered = path.join(work, 'tampered.json');
    await writeFile(tampered, (await readFile(artifact, 'utf8')).replace('1.6', '1.5'));
    const bad = await stella('verify', tampered, '--bundle', bundle, '--trust', trust, '--json');
    assert.notEqual(bad.code, 0);
    assert.equal((JSON.parse(bad.out.join('')) as { failedStep: string }).failedStep, 'subject');
  });

  test('one correlation id is visible in the gateway, signer and attestor logs', async () => {
    const deps = {
      clock: systemClock,
      ids: createIdGenerator(systemClock),
      secrets: defaultSecretResolver(process.env),
    };
    const client = await openPlatformClient(await loadProfile(profile), deps);
    try {
      const session = await client.session('signer', 'signer:sign');
      const bytes = Buffer.from('inline artifact for correlation');
      const correlationId = `e2e-${Date.now()}-corr`;
      const res = await session.send({
        method: 'POST',
        url: `${p.ready.gateway}/api/v1/signer/sign/dsse`,
        headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
        body: () =>
          JSON.stringify({
            subject: [
              {
                name: 'inline.txt',
                digest: { sha256: sha256Digest(bytes).slice(7) },
                content: bytes.toString('base64'),
              },
            ],
            predicateType: 'https://slsa.dev/provenance/v1',
            predicate: {},
          }),
      });
      assert.equal(res.status, 200, Buffer.from(res.body).toString());
      assert.equal(res.headers['x-correlation-id'], correlationId);
      // Log lines are written asynchronously: wait until every service's line has landed (a
      // fixed sleep was flaky on a loaded machine), up to a deadline that fails the test.
      const wanted = ['gateway', 'signer', 'attestor'];
      const deadline = Date.now() + 15_000;
      let services = new Set<string | undefined>();
      for (;;) {
        const log = await readFile(path.join(p.dataDir, 'logs', 'stella.log'), 'utf8');
        services = new Set(
          log
            .split('\n')
            .filter((l) => l.includes(correlationId))
            .map((l) => (JSON.parse(l) as { service?: string }).service),
        );
        if (wanted.every((s) => services.has(s)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const s of wanted)
        assert.ok(services.has(s), `${s} log lacks ${correlationId}: ${[...services].join(',')}`);
    } finally {
      await client.close();
    }
  });

  test('tenant isolation: the default tenant cannot read acme evidence or entries; /internal is not routed', async () => {
    const digest = sha256Digest(await readFile(artifact));
    const deps = {
      clock: systemClock,
      ids: createIdGenerator(systemClock),
      secrets: defaultSecretResolver(process.env),
    };
    const demo = await openPlatformClient(await loadProfile(p.ready.profile), deps);
    try {
      const read = await demo.session('attestor', 'evidence:read attestor:read');
      const evidence = await read.send({
        method: 'GET',
        url: `${p.ready.gateway}/api/v1/evidence/${digest}`,
      });
      assert.equal(evidence.status, 404);
      const entries = await read.send({
        method: 'GET',
        url: `${p.ready.gateway}/api/v1/attestor/entries?subject=${digest}`,
      });
      assert.equal(entries.status, 200);
      assert.deepEqual(
        (JSON.parse(Buffer.from(entries.body).toString()) as { entries: unknown[] }).entries,
        [],
      );
    } finally {
      await demo.close();
    }
    const agent = new Agent({ connect: { ca: await readFile(p.ready.caFile, 'utf8') } });
    const internal = await request(`${p.ready.gateway}/internal/audit?tenant=acme`, {
      dispatcher: agent,
    });
    assert.equal(internal.statusCode, 404);
    await internal.body.dump();
    await agent.close();
  });

  test('the audit chain exports and verifies offline; a tampered export fails', async () => {
    const dir = path.join(work, 'audit-acme');
    const exported = await stella(
      'audit',
      'export',
      '--tenant',
      'acme',
      '-o',
      dir,
      '--data-dir',
      p.dataDir,
      '--json',
    );
    assert.equal(exported.code, 0, exported.err.join('\n'));
    assert.equal((await stella('audit', 'verify', dir)).code, 0);
    const events = await readFile(path.join(dir, 'events.ndjson'), 'utf8');
    assert.match(events, /authority\.token\.issued/);
    assert.match(events, /attestor\.entry\.logged/);
    assert.doesNotMatch(events, /"tenant":"default"/);
    await writeFile(
      path.join(dir, 'events.ndjson'),
      events.replace('authority.token.issued', 'authority.token.issueD'),
    );
    assert.notEqual((await stella('audit', 'verify', dir)).code, 0);
  });

  test('stella doctor finds every service healthy and every internal listener mTLS-only', async () => {
    const run = await stella('doctor', '--data-dir', p.dataDir, '--json');
    assert.equal(run.code, 0, run.out.join('\n') + run.err.join('\n'));
  });

  test('no token, DPoP proof, private key or secret appears in logs or the audit export', async () => {
    const logDir = path.join(p.dataDir, 'logs');
    const texts = [
      ...(await Promise.all(
        (await readdir(logDir)).map((f) => readFile(path.join(logDir, f), 'utf8')),
      )),
      await readFile(path.join(work, 'audit-acme', 'events.ndjson'), 'utf8'),
    ];
    const nonceSecret = (
      await readFile(path.join(p.dataDir, 'secrets', 'dpop-nonce.key'), 'utf8')
    ).trim();
    const demoKey = JSON.parse(
      await readFile(path.join(p.dataDir, 'clients', 'demo.private.jwk.json'), 'utf8'),
    ) as { d: string };
    for (const text of texts) {
      // Any compact JWS (token, proof, assertion, envelope) starts with a base64url JSON header.
      assert.doesNotMatch(
        text,
        /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./,
        'a JWT reached the logs',
      );
      assert.doesNotMatch(text, /PRIVATE KEY/);
      for (const secret of [...secretsSeen, nonceSecret, demoKey.d])
        assert.ok(!text.includes(secret), 'a secret reached the logs');
    }
  });
});
