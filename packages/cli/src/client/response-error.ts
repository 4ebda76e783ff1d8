import { cliClientError } from './errors.ts';
import type { HttpResponse } from './https-client.ts';
import { headerOf } from './https-client.ts';
import { printable } from './token-client.ts';

const HINTS: Readonly<Record<string, string>> = {
  insufficient_scope: 'the token lacks a scope this route needs; is it on the client allow-list?',
  invalid_token: 'the token was refused; get a new one (tokens live about two minutes)',
  tenant_mismatch: 'the tenant in the profile differs from the token tenant',
  not_found: 'nothing with that id exists for this tenant',
  digest_mismatch: 'the bytes changed while uploading, or the digest is wrong',
  payload_too_large: 'the body exceeds the route cap',
  rate_limited: 'slow down and retry after the Retry-After interval',
};

/**
 * Turns a non-2xx platform answer into a `request_refused` error the operator can act on: the
 * stable code, the public message and the correlation id to search the logs for. Both wire
 * shapes are understood: `{"error":{"code","message"}}` (PLATFORM.md §7) and OAuth bodies /
 * `WWW-Authenticate` challenges (RFC 6750 §3).
 */
export function refusedError(res: HttpResponse, what: string) {
  let code = '';
  let message = '';
  try {
    const body = JSON.parse(Buffer.from(res.body).toString('utf8')) as Record<string, unknown>;
    const error = body['error'];
    if (typeof error === 'object' && error !== null) {
      code = printable((error as Record<string, unknown>)['code'], 64);
      message = printable((error as Record<string, unknown>)['message']);
    } else {
      code = printable(error, 64);
      message = printable(body['error_description']);
    }
  } catch {
    // not JSON: fall back to the challenge header below
  }
  if (code === '') {
    const match = /\berror="([a-z_]{1,64})"/.exec(headerOf(res, 'www-authenticate') ?? '');
    code = match?.[1] ?? `http_${res.status}`;
  }
  const correlation = printable(headerOf(res, 'x-correlation-id'), 128);
  const hint = HINTS[code];
  return cliClientError('request_refused', {
    status: res.status,
    description: `${what} refused (${res.status} ${code}${message ? `: ${message}` : ''})${hint ? `; ${hint}` : ''}${correlation ? ` [correlation id ${correlation}]` : ''}`,
  });
}
