import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import type { AdminResponse } from './cli-env.ts';
import { readPlatformState } from './platform-state.ts';
import { UsageError } from './cli-env.ts';

/**
 * Admin calls go straight to the Authority's internal listener (never through the gateway, which
 * does not route `/internal/*`): mTLS with the admin client certificate, plus an
 * `authority:admin` access token obtained with `tls_client_auth` (RFC 8705 §2.1) and therefore
 * bound to that same certificate.
 */
export function createAdminRequester() {
  return async function adminRequest(
    dataDir: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<AdminResponse> {
    if (!path.startsWith('/internal/')) throw new TypeError('admin paths start with /internal/');
    const state = await readPlatformState(dataDir);
    const [ca, cert, key] = await Promise.all([
      readFile(state.caFile, 'utf8'),
      readFile(state.admin.certFile, 'utf8'),
      readFile(state.admin.keyFile, 'utf8'),
    ]);
    const dispatcher = new Agent({ connect: { ca, cert, key, servername: 'localhost' } });
    try {
      const base = state.internal.authority;
      const tokenRes = await request(`${base}/token`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: state.admin.clientId,
          audience: 'authority',
          scope: 'authority:admin',
        }).toString(),
      });
      const tokenBody = (await tokenRes.body.json()) as Record<string, unknown>;
      if (tokenRes.statusCode !== 200 || typeof tokenBody.access_token !== 'string') {
        throw new UsageError(
          `the Authority refused the admin credential (${String(tokenBody.error ?? tokenRes.statusCode)}); is ${dataDir} the data dir of the running platform?`,
        );
      }
      const res = await request(`${base}${path}`, {
        method: method as 'GET',
        dispatcher,
        headers: {
          authorization: `Bearer ${tokenBody.access_token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // non-JSON bodies are returned as text
      }
      return { status: res.statusCode, body: parsed };
    } finally {
      await dispatcher.close();
    }
  };
}
