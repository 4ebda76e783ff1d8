import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createOciManifestFetcher } from '../src/oci-registry.ts';
import { startFakeRegistry } from './helpers/fake-registry.ts';
import type { FakeRegistry } from './helpers/fake-registry.ts';
import { pushImage, startLocalRegistry } from './helpers/registry.ts';
import type { LocalRegistry } from './helpers/registry.ts';

const hexOf = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const MAX = 64 * 1024;

describe('OCI manifest fetch against the real distribution registry', () => {
  let registry: LocalRegistry;
  before(async () => {
    registry = await startLocalRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  it('fetches a pushed manifest by digest and recomputes the same digest', async () => {
    const image = await pushImage(registry, 'team/app', 'v1');
    const fetcher = createOciManifestFetcher({
      registries: [{ host: registry.host, scheme: 'http' }],
      timeoutMs: 5000,
      maxRedirects: 0,
    });
    const result = await fetcher.fetchManifest({
      host: registry.host,
      repository: 'team/app',
      hex: image.hex,
      maxBytes: MAX,
    });
    assert.deepEqual(result, { ok: true, hex: image.hex, size: image.bytes.length });
    const missing = await fetcher.fetchManifest({
      host: registry.host,
      repository: 'team/app',
      hex: 'e'.repeat(64),
      maxBytes: MAX,
    });
    assert.deepEqual(missing, { ok: false, reason: 'not_found' });
    const tooSmall = await fetcher.fetchManifest({
      host: registry.host,
      repository: 'team/app',
      hex: image.hex,
      maxBytes: 10,
    });
    assert.deepEqual(tooSmall, { ok: false, reason: 'too_large' });
  });

  it('refuses a registry outside the allow-list without contacting it', async () => {
    const fetcher = createOciManifestFetcher({ registries: [], timeoutMs: 5000, maxRedirects: 0 });
    const result = await fetcher.fetchManifest({
      host: registry.host,
      repository: 'team/app',
      hex: 'a'.repeat(64),
      maxBytes: MAX,
    });
    assert.deepEqual(result, { ok: false, reason: 'not_allowed' });
  });
});

describe('OCI manifest fetch against a misbehaving registry', () => {
  let fake: FakeRegistry;
  let other: FakeRegistry;
  before(async () => {
    fake = await startFakeRegistry({ requireToken: true });
    other = await startFakeRegistry();
  });
  after(async () => {
    await fake?.close();
    await other?.close();
  });

  const fetcherFor = (trusted: string[] = []) =>
    createOciManifestFetcher({
      registries: [{ host: fake.host, scheme: 'http', trustedHosts: trusted }],
      timeoutMs: 5000,
      maxRedirects: 2,
    });

  it('follows an RFC 6750 token challenge, asking for pull on the one repository only', async () => {
    const body = new TextEncoder().encode('{"schemaVersion":2}');
    const hex = hexOf(body);
    fake.manifests.set(`/v2/a/b/manifests/sha256:${hex}`, {
      body,
      dockerContentDigest: `sha256:${hex}`,
    });
    const result = await fetcherFor().fetchManifest({
      host: fake.host,
      repository: 'a/b',
      hex,
      maxBytes: MAX,
    });
    assert.deepEqual(result, { ok: true, hex, size: body.length });
    assert.equal(fake.lastTokenScope, 'repository:a/b:pull');
  });

  it('reports the bytes it got, so a registry serving different bytes is a mismatch upstream', async () => {
    const hex = 'c'.repeat(64);
    const body = new TextEncoder().encode('{"evil":true}');
    fake.manifests.set(`/v2/a/b/manifests/sha256:${hex}`, { body });
    const result = await fetcherFor().fetchManifest({
      host: fake.host,
      repository: 'a/b',
      hex,
      maxBytes: MAX,
    });
    assert.deepEqual(result, { ok: true, hex: hexOf(body), size: body.length });
  });

  it('a Docker-Content-Digest that differs from the requested digest is header_mismatch', async () => {
    const body = new TextEncoder().encode('{"x":1}');
    const hex = hexOf(body);
    fake.manifests.set(`/v2/a/c/manifests/sha256:${hex}`, {
      body,
      dockerContentDigest: `sha256:${'d'.repeat(64)}`,
    });
    const result = await fetcherFor().fetchManifest({
      host: fake.host,
      repository: 'a/c',
      hex,
      maxBytes: MAX,
    });
    assert.deepEqual(result, { ok: false, reason: 'header_mismatch' });
  });

  it('refuses a redirect to a host outside the allow-list, follows one inside it', async () => {
    const body = new TextEncoder().encode('{"y":2}');
    const hex = hexOf(body);
    const target = `http://${other.host}/v2/a/d/manifests/sha256:${hex}`;
    fake.manifests.set(`/v2/a/d/manifests/sha256:${hex}`, { body, redirectTo: target });
    other.manifests.set(`/v2/a/d/manifests/sha256:${hex}`, { body });
    const refused = await fetcherFor().fetchManifest({
      host: fake.host,
      repository: 'a/d',
      hex,
      maxBytes: MAX,
    });
    assert.deepEqual(refused, { ok: false, reason: 'not_allowed' });
    const followed = await fetcherFor([other.host]).fetchManifest({
      host: fake.host,
      repository: 'a/d',
      hex,
      maxBytes: MAX,
    });
    assert.deepEqual(followed, { ok: true, hex, size: body.length });
  });

  it('refuses non-manifest media types and oversized manifests', async () => {
    const body = new TextEncoder().encode('<html>');
    const hex = hexOf(body);
    fake.manifests.set(`/v2/a/e/manifests/sha256:${hex}`, { body, contentType: 'text/html' });
    assert.deepEqual(
      await fetcherFor().fetchManifest({ host: fake.host, repository: 'a/e', hex, maxBytes: MAX }),
      { ok: false, reason: 'unavailable' },
    );
    const big = new Uint8Array(2048).fill(0x20);
    const bigHex = hexOf(big);
    fake.manifests.set(`/v2/a/f/manifests/sha256:${bigHex}`, { body: big });
    assert.deepEqual(
      await fetcherFor().fetchManifest({
        host: fake.host,
        repository: 'a/f',
        hex: bigHex,
        maxBytes: 1024,
      }),
      { ok: false, reason: 'too_large' },
    );
  });

  it('a token realm outside the allow-list is never contacted', async () => {
    const before = other.tokenRequests;
    const hostile = await startFakeRegistry({ requireToken: true, realmHost: () => other.host });
    try {
      const fetcher = createOciManifestFetcher({
        registries: [{ host: hostile.host, scheme: 'http' }],
        timeoutMs: 5000,
        maxRedirects: 0,
      });
      const hex = 'a'.repeat(64);
      hostile.manifests.set(`/v2/a/g/manifests/sha256:${hex}`, { body: new Uint8Array(1) });
      const r = await fetcher.fetchManifest({
        host: hostile.host,
        repository: 'a/g',
        hex,
        maxBytes: MAX,
      });
      assert.deepEqual(r, { ok: false, reason: 'unavailable' });
      assert.equal(other.tokenRequests, before);
    } finally {
      await hostile.close();
    }
  });
});
