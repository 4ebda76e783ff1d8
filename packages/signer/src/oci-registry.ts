import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { ArtifactFetchResult, OciManifestFetcher } from './artifact-fetch.ts';
import { hashStream } from './stream-hash.ts';
import { parseWwwAuthenticate } from './www-authenticate.ts';

/** One allow-listed registry. `http` is accepted only for loopback hosts (checked in defaults). */
export interface RegistryAllowEntry {
  /** `host[:port]` exactly as it appears in `oci://<host>/…`. */
  readonly host: string;
  readonly scheme: 'https' | 'http';
  /** Extra `host[:port]`s allowed as token realms (RFC 6750 challenge) or redirect targets. */
  readonly trustedHosts?: readonly string[];
}

export interface OciManifestFetcherOptions {
  readonly registries: readonly RegistryAllowEntry[];
  readonly timeoutMs: number;
  /** Redirects followed per fetch, each re-checked against the allow-list. */
  readonly maxRedirects: number;
  readonly dispatcher?: Dispatcher;
}

/** OCI image-spec + Docker v2 manifest and index media types (distribution-spec "Pull"). */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

const MAX_TOKEN_RESPONSE = 64 * 1024;

type Fail = Extract<ArtifactFetchResult, { ok: false }>;
const fail = (reason: Fail['reason']): Fail => ({ ok: false, reason });

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/**
 * Fetches `GET <scheme>://<host>/v2/<repo>/manifests/sha256:<hex>` from an allow-listed registry,
 * anonymously or with an anonymous Bearer token (RFC 6750 challenge), and hashes the exact bytes.
 * Nothing outside the allow-list is contacted: not the registry, not a redirect target, not a
 * token realm. The Authorization header is only ever sent to the host that issued the challenge.
 */
export function createOciManifestFetcher(options: OciManifestFetcherOptions): OciManifestFetcher {
  const entries = new Map(options.registries.map((e) => [e.host, e]));

  function allowed(url: URL, entry: RegistryAllowEntry): boolean {
    if (url.username !== '' || url.password !== '') return false;
    if (url.protocol !== `${entry.scheme}:`) return false;
    return url.host === entry.host || (entry.trustedHosts ?? []).includes(url.host);
  }

  async function fetchToken(
    header: string | undefined,
    entry: RegistryAllowEntry,
    repository: string,
  ): Promise<string | undefined> {
    const challenge = header === undefined ? undefined : parseWwwAuthenticate(header);
    const realm = challenge?.params['realm'];
    if (challenge?.scheme !== 'bearer' || realm === undefined || !URL.canParse(realm)) {
      return undefined;
    }
    const url = new URL(realm);
    if (!allowed(url, entry)) return undefined;
    const service = challenge.params['service'];
    if (service !== undefined) url.searchParams.set('service', service);
    // Always ask for pull on the one repository: never widen to a scope the challenge suggests.
    url.searchParams.set('scope', `repository:${repository}:pull`);
    const res = await request(url, {
      method: 'GET',
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200 || text.length > MAX_TOKEN_RESPONSE) return undefined;
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null) return undefined;
    const { token, access_token: accessToken } = body as Record<string, unknown>;
    const value = typeof token === 'string' ? token : accessToken;
    return typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? value : undefined;
  }

  async function fetchOnce(
    entry: RegistryAllowEntry,
    repository: string,
    hex: string,
    maxBytes: number,
  ): Promise<ArtifactFetchResult> {
    let url = new URL(`${entry.scheme}://${entry.host}/v2/${repository}/manifests/sha256:${hex}`);
    let token: string | undefined;
    let redirects = 0;
    for (;;) {
      const auth = token !== undefined && url.host === entry.host;
      const res = await request(url, {
        method: 'GET',
        headers: {
          accept: MANIFEST_MEDIA_TYPES.join(', '),
          ...(auth ? { authorization: `Bearer ${token}` } : {}),
        },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump();
        const location = headerValue(res.headers['location']);
        if (location === undefined || redirects >= options.maxRedirects) return fail('unavailable');
        if (!URL.canParse(location, url.href)) return fail('unavailable');
        const next = new URL(location, url);
        if (!allowed(next, entry)) return fail('not_allowed');
        url = next;
        redirects += 1;
        continue;
      }
      if (res.statusCode === 401 && token === undefined) {
        await res.body.dump();
        token = await fetchToken(headerValue(res.headers['www-authenticate']), entry, repository);
        if (token === undefined) return fail('unavailable');
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        return fail(res.statusCode === 404 ? 'not_found' : 'unavailable');
      }
      return hashManifest(res, hex, maxBytes);
    }
  }

  return {
    async fetchManifest({ host, repository, hex, maxBytes }) {
      const entry = entries.get(host);
      if (entry === undefined) return fail('not_allowed');
      try {
        return await fetchOnce(entry, repository, hex, maxBytes);
      } catch {
        return fail('unavailable');
      }
    },
  };
}

async function hashManifest(
  res: Dispatcher.ResponseData,
  hex: string,
  maxBytes: number,
): Promise<ArtifactFetchResult> {
  const type = headerValue(res.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || !(MANIFEST_MEDIA_TYPES as readonly string[]).includes(type)) {
    await res.body.dump();
    return fail('unavailable');
  }
  const declared = Number(headerValue(res.headers['content-length']) ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.dump();
    return fail('too_large');
  }
  const hashed = await hashStream(res.body, maxBytes);
  if (!hashed.ok) {
    res.body.destroy();
    return fail('too_large');
  }
  // distribution-spec: Docker-Content-Digest names the digest of the bytes served; when present
  // it must agree with what we asked for (the bytes themselves are compared by the caller).
  const served = headerValue(res.headers['docker-content-digest']);
  if (served !== undefined && served !== `sha256:${hex}`) return fail('header_mismatch');
  return hashed;
}
