/**
 * Refusals made by Node's HTTP parser (llhttp) before fastify sees a request: oversized heads,
 * CL + TE, duplicate Content-Length, obs-fold, invalid header characters, timeouts. They arrive
 * as the server's `clientError`; we answer with the same coded body (on a connection we then
 * close) and audit them as platform events, since no tenant is known yet.
 */
import type { Socket } from 'node:net';
import type { AuditSink, IdGenerator, Logger } from '@stella/core';
import { gatewayErrorCodes } from './errors.ts';
import type { GatewayErrorCode } from './errors.ts';

// llhttp error codes (node/deps/llhttp) → our stable codes.
export function classifyParserError(code: string | undefined): GatewayErrorCode {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'headers_too_large';
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return 'request_smuggling';
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_INVALID_EOF_STATE':
      return 'invalid_header';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return 'request_timeout';
    default:
      return 'bad_request';
  }
}

export interface ClientErrorDeps {
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly ids: IdGenerator;
}

export function createClientErrorHandler(deps: ClientErrorDeps) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    const code = classifyParserError(error.code);
    const correlationId = deps.ids.uuid();
    const address = socket.remoteAddress ?? 'unknown';
    deps.logger.info(
      { correlationId, code, parserCode: error.code ?? null, address },
      'client error',
    );
    deps.audit
      .append({
        type: 'gateway.request.denied',
        correlationId,
        outcome: 'failure',
        reason: code,
        tenant: '_platform',
        network: { address },
        properties: { step: 'http-parser' },
      })
      .catch(() => deps.logger.error({ correlationId }, 'audit append failed'));
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const spec = gatewayErrorCodes[code];
    const body = JSON.stringify({ error: { code, message: spec.description, correlationId } });
    socket.end(
      `HTTP/1.1 ${spec.status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Correlation-Id: ${correlationId}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  };
}
