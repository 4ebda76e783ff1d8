/**
 * Fastify plumbing shared by every Authority route: the strict form and JSON body parsers (run
 * before any crypto), correlation ids (echoed on every response), the TLS peer of a request, and
 * the single error writer that turns anything thrown into the OAuth wire shape.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdGenerator, Logger } from '@stella/core';
import { isStellaError, parseJsonStrict } from '@stella/core';
import { installRequestCorrelation } from '@stella/runtime';
import { authorityError, toOAuthError } from './errors.ts';
import { parseFormBody } from './form-body.ts';
import type { TlsPeer } from './client-auth/client-certificate.ts';

/** The request's correlation id (set by `installRequestCorrelation` before any other hook). */
export function correlationIdOf(request: FastifyRequest): string {
  return request.correlationId || 'unknown';
}

/** The verified-or-not TLS peer certificate of the connection (none on plain HTTP). */
export function tlsPeerOf(request: FastifyRequest): TlsPeer {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') {
    return { certificate: undefined, authorized: false };
  }
  const cert = socket.getPeerCertificate(false);
  const raw = (cert as { raw?: Buffer } | undefined)?.raw;
  return {
    certificate: raw === undefined ? undefined : new Uint8Array(raw),
    authorized: socket.authorized === true,
  };
}

/** Every value of a header field (Node joins some duplicates; rawHeaders keeps them apart). */
export function headerValues(request: FastifyRequest, name: string): string[] {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
  }
  return values;
}

/** The one optional header value; a repeated header is a malformed request. */
export function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const values = headerValues(request, name);
  if (values.length > 1) {
    throw authorityError('invalid_request', { detail: `header ${name} repeated` });
  }
  return values[0];
}

export function sendOAuthError(
  reply: FastifyReply,
  error: unknown,
  extraHeaders: Record<string, string> = {},
): FastifyReply {
  const { status, body, headers } = toOAuthError(error);
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', ...headers, ...extraHeaders })
    .send(body);
}

interface FastifyErrorLike {
  code?: string;
  statusCode?: number;
}

/** Maps fastify's own refusals (parser, limits) onto stable OAuth-shaped errors. */
function mapFrameworkError(error: unknown): unknown {
  if (isStellaError(error)) return error;
  const e = error as FastifyErrorLike;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return authorityError('invalid_request', {
        status: 413,
        description: 'the request body is too large',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return authorityError('invalid_request', {
        status: 415,
        description: 'unsupported content type',
      });
    default:
      if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
        return authorityError('invalid_request', { detail: `framework ${e.code ?? 'error'}` });
      }
      return error;
  }
}

export function installHttpSupport(
  app: FastifyInstance,
  options: { ids: IdGenerator; logger: Logger; maxFormBytes: number },
): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: options.maxFormBytes },
    (_request, body, done) => {
      try {
        done(null, parseFormBody(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 256 * 1024 },
    (_request, body, done) => {
      try {
        done(null, parseJsonStrict(body as string, { maxDepth: 8 }));
      } catch {
        done(authorityError('invalid_request', { detail: 'json: malformed' }), undefined);
      }
    },
  );
  installRequestCorrelation(app, { ids: options.ids, logger: options.logger });
  app.setNotFoundHandler((_request, reply) => {
    void sendOAuthError(reply, authorityError('not_found'));
  });
  app.setErrorHandler((error, request, reply) => {
    const mapped = mapFrameworkError(error);
    const log = {
      correlationId: correlationIdOf(request),
      route: request.routeOptions.url ?? 'unmatched',
      code: isStellaError(mapped) ? mapped.code : 'server_error',
      detail: isStellaError(mapped) ? mapped.detail : undefined,
    };
    if (isStellaError(mapped) && mapped.status < 500) options.logger.info(log, 'request refused');
    else options.logger.error({ ...log, error: (error as Error).name }, 'request failed');
    void sendOAuthError(reply, mapped);
  });
}
