import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from '@stella/core';
import { signerError } from './errors.ts';

/** Which token the signer needs for an outbound call (one tenant, one audience per token). */
export interface TokenRequest {
  readonly tenant: string;
  readonly audience: string;
  readonly scope: string;
}

/**
 * Port: the signer's own access tokens (PLATFORM.md §2, RFC 8705 mTLS-bound). Tests inject a
 * source that mints tokens with `jose`; production uses `createAuthorityTokenSource`.
 */
export interface TokenSource {
  getToken(request: TokenRequest): Promise<string>;
}

export interface AuthorityTokenSourceOptions {
  /** The Authority's token endpoint, e.g. `https://authority.internal:8440/token`. */
  readonly tokenUrl: string;
  /** Registered client id of the signer (`signer`), authenticated by `tls_client_auth`. */
  readonly clientId: string;
  /** An undici dispatcher presenting the signer's mTLS client certificate (RFC 8705 §2). */
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  /** Refresh this many ms before `expires_in` runs out, so a token never expires in flight. */
  readonly refreshBeforeMs: number;
  readonly timeoutMs: number;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
}

const MAX_TOKEN_RESPONSE = 16 * 1024;

async function fetchToken(
  options: AuthorityTokenSourceOptions,
  req: TokenRequest,
): Promise<CachedToken> {
  // RFC 6749 §4.4 client credentials + RFC 8705 §2.1.1 tls_client_auth (client_id in the body).
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: options.clientId,
    scope: req.scope,
    audience: req.audience,
    tenant: req.tenant,
  });
  const started = options.clock.now();
  const res = await request(options.tokenUrl, {
    method: 'POST',
    dispatcher: options.dispatcher,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200 || text.length > MAX_TOKEN_RESPONSE) {
    throw signerError('server_error', { detail: `token endpoint answered ${res.statusCode}` });
  }
  const body: unknown = JSON.parse(text);
  if (typeof body !== 'object' || body === null) throw signerError('server_error');
  const { access_token: token, expires_in: expiresIn } = body as Record<string, unknown>;
  if (typeof token !== 'string' || typeof expiresIn !== 'number' || expiresIn <= 0) {
    throw signerError('server_error', { detail: 'malformed token response' });
  }
  const lifetime = expiresIn * 1000;
  return { token, refreshAt: started + Math.max(0, lifetime - options.refreshBeforeMs) };
}

/**
 * Client-credentials tokens from the Authority, cached per (tenant, audience, scope) and renewed
 * `refreshBeforeMs` before expiry. Concurrent callers share one in-flight fetch.
 */
export function createAuthorityTokenSource(options: AuthorityTokenSourceOptions): TokenSource {
  const cache = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<CachedToken>>();
  return {
    async getToken(req) {
      const key = `${req.tenant}\n${req.audience}\n${req.scope}`;
      const hit = cache.get(key);
      if (hit !== undefined && options.clock.now() < hit.refreshAt) return hit.token;
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = fetchToken(options, req).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const fresh = await pending;
      cache.set(key, fresh);
      return fresh.token;
    },
  };
}
