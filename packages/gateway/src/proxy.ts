/**
 * The proxy hop: streams the request body to the upstream through the route's body cap and
 * streams the response back; nothing is buffered. Bodyless idempotent requests (RFC 9110 §9.2.2)
 * are retried a bounded number of times when the connection fails before any response;
 * requests with a body never are (the stream is consumed).
 */
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isStellaError } from '@stella/core';
import { createBodyCap } from './body-policy.ts';
import { gatewayError } from './errors.ts';
import type { Upstream } from './upstream-pool.ts';

export interface ProxyRequest {
  readonly method: string;
  /** Path and query, already vetted by hygiene. */
  readonly target: string;
  readonly headers: Record<string, string>;
  /** The raw request stream when the request has a body. */
  readonly body: Readable | undefined;
  readonly bodyCapBytes: number;
  /** Vetted Content-Length, when the body is length-delimited. */
  readonly contentLength: string | undefined;
  readonly retries: number;
}

const RETRYABLE = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const IDEMPOTENT_BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

function mapUpstreamError(error: unknown): Error {
  if (isStellaError(error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return gatewayError('gateway_timeout', { detail: String(code), cause: error });
  }
  return gatewayError('bad_gateway', {
    detail: typeof code === 'string' ? code : 'upstream',
    cause: error,
  });
}

export async function forward(
  upstream: Upstream,
  request: ProxyRequest,
): Promise<Dispatcher.ResponseData> {
  let body: Readable | undefined;
  let capError: unknown;
  if (request.body !== undefined && request.contentLength !== undefined) {
    // Length-delimited (RFC 9112 §6.2): the cap was checked on Content-Length and the parser
    // reads exactly that many bytes, so the stream goes to undici as is.
    body = request.body;
  } else if (request.body !== undefined) {
    const cap = createBodyCap(request.bodyCapBytes);
    body = pipeline(request.body, cap, (err) => {
      if (err !== undefined && err !== null) capError = err;
    });
  }
  const attempts =
    body === undefined && IDEMPOTENT_BODYLESS.has(request.method) ? 1 + request.retries : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await upstream.pool.request({
        method: request.method as Dispatcher.HttpMethod,
        path: request.target,
        headers: request.headers,
        body: body ?? null,
      });
    } catch (error) {
      lastError = isStellaError(capError) ? capError : error;
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !RETRYABLE.has(code)) break;
    }
  }
  throw mapUpstreamError(lastError);
}
