/**
 * An HTTPS client for real-listener tests: an undici `Agent` trusting the test CA for the server
 * and presenting `identity` (a `@stella/testkit` leaf) or no client certificate at all.
 */
import { Agent, request } from 'undici';
import type { TestCertificate } from '@stella/testkit';

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

/** An HTTPS client presenting `identity` (or no certificate), trusting `caPem` for the server. */
export function httpsClient(baseUrl: string, caPem: string, identity?: TestCertificate) {
  const agent = new Agent({
    connect: {
      ca: caPem,
      ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }),
    },
  });
  return {
    agent,
    async send(
      method: 'GET' | 'POST',
      path: string,
      options: { headers?: Record<string, string>; body?: string } = {},
    ): Promise<HttpsResponse> {
      const res = await request(`${baseUrl}${path}`, {
        method,
        dispatcher: agent,
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      const text = await res.body.text();
      return {
        status: res.statusCode,
        headers: res.headers,
        text,
        json: () => JSON.parse(text) as Record<string, unknown>,
      };
    },
    close: () => agent.close(),
  };
}
