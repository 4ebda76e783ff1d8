import { parseJsonStrict, systemClock } from '@stella/core';
import type { Clock } from '@stella/core';
import { Agent, request } from 'undici';
import { MAX_SECRET_BYTES, SAFE_NAME } from './provider.ts';
import type { SecretContext, SecretProvider } from './provider.ts';
import { readSecretFile } from './read-secret-file.ts';

/**
 * `vault:<mount>/<path>#<field>`: HashiCorp Vault KV version 2 over HTTPS only.
 *   read:  GET  {address}/v1/<mount>/data/<path>   header X-Vault-Token → body.data.data[field]
 *   login: POST {address}/v1/auth/<authMount>/login {role, jwt} → body.auth.client_token
 * Authentication is either a token (itself a secret reference, e.g. `file:/run/vault-token`) or
 * Kubernetes auth with the pod's service-account JWT. The server certificate is checked against
 * `ca` (PEM) when given, else the system trust store.
 *
 * No real Vault runs on the development machines: the tests drive this provider against a
 * local HTTPS server that speaks the same two API calls.
 */
export type VaultAuth =
  | { readonly method: 'token'; readonly tokenRef: string }
  | {
      readonly method: 'kubernetes';
      readonly role: string;
      /** Default `/var/run/secrets/kubernetes.io/serviceaccount/token`. */
      readonly jwtFile?: string;
      /** Default `kubernetes`. */
      readonly mount?: string;
    };

export interface VaultProviderOptions {
  /** `https://host:port`; plain http is refused. */
  readonly address: string;
  readonly auth: VaultAuth;
  readonly ca?: string | Uint8Array;
  /** Vault Enterprise namespace. */
  readonly namespace?: string;
  /** Per request, default 5000 ms. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
}

const FIELD = /^[A-Za-z0-9._-]{1,256}$/;

export function vaultSecretProvider(options: VaultProviderOptions): SecretProvider {
  const base = new URL(options.address);
  if (base.protocol !== 'https:' || base.username !== '' || base.search !== '') {
    throw new TypeError('vault address must be an https:// URL without credentials or query');
  }
  const timeout = options.timeoutMs ?? 5000;
  const clock = options.clock ?? systemClock;
  const agent = new Agent({
    connect: {
      rejectUnauthorized: true,
      ...(options.ca === undefined ? {} : { ca: Buffer.from(options.ca) }),
    },
  });
  let cached: { token: string; until: number } | undefined;

  async function call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<unknown> {
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
    const response = await request(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.namespace === undefined ? {} : { 'x-vault-namespace': options.namespace }),
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
      // undici's request() never follows redirects: a 3xx is a non-200 and refused below.
      dispatcher: agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_SECRET_BYTES) throw new Error('vault response too large');
      chunks.push(chunk);
    }
    // The response body is never put into an error: it may echo request data.
    if (response.statusCode !== 200) throw new Error(`vault returned HTTP ${response.statusCode}`);
    return parseJsonStrict(Buffer.concat(chunks).toString('utf8'), { maxDepth: 16 });
  }

  async function token(ctx: SecretContext): Promise<string> {
    if (options.auth.method === 'token') {
      const secret = await ctx.resolve(options.auth.tokenRef);
      return secret.revealText().trim();
    }
    if (cached !== undefined && clock.now() < cached.until) return cached.token;
    const mount = options.auth.mount ?? 'kubernetes';
    if (!SAFE_NAME.test(mount)) throw new Error('invalid kubernetes auth mount');
    const jwtFile = options.auth.jwtFile ?? '/var/run/secrets/kubernetes.io/serviceaccount/token';
    const jwt = new TextDecoder().decode(await readSecretFile(jwtFile)).trim();
    const body = JSON.stringify({ role: options.auth.role, jwt });
    const reply = await call('POST', `/v1/auth/${mount}/login`, {}, body);
    const auth = member(reply, 'auth');
    const clientToken = member(auth, 'client_token');
    const lease = member(auth, 'lease_duration');
    if (typeof clientToken !== 'string' || clientToken === '')
      throw new Error('vault login returned no token');
    // Renew well before the lease ends (80 %); a lease of 0 means no caching.
    const leaseMs = typeof lease === 'number' && lease > 0 ? lease * 800 : 0;
    cached = { token: clientToken, until: clock.now() + leaseMs };
    return clientToken;
  }

  return {
    scheme: 'vault',
    async resolve(ref, ctx) {
      const { mount, path, field } = parseVaultRef(ref);
      const vaultToken = await token(ctx);
      const reply = await call('GET', `/v1/${mount}/data/${path}`, { 'x-vault-token': vaultToken });
      const value = member(member(member(reply, 'data'), 'data'), field);
      if (typeof value !== 'string') throw new Error('field missing or not a string');
      return new TextEncoder().encode(value);
    },
  };
}

/** Parses `<mount>/<path…>#<field>`; every segment is a safe name (no `..`, no encoding tricks). */
export function parseVaultRef(ref: string): { mount: string; path: string; field: string } {
  const hash = ref.indexOf('#');
  if (hash < 0) throw new Error('expected <mount>/<path>#<field>');
  const segments = ref.slice(0, hash).split('/');
  const field = ref.slice(hash + 1);
  if (segments.length < 2 || !segments.every((s) => SAFE_NAME.test(s)) || !FIELD.test(field)) {
    throw new Error('expected <mount>/<path>#<field>');
  }
  return { mount: segments[0]!, path: segments.slice(1).join('/'), field };
}

function member(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
