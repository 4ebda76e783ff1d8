/**
 * Per-route body rules (PLATFORM.md §4): declared content types only (415) and the body cap
 * (413), checked on `Content-Length` before any byte is read and again while streaming, so a
 * chunked upload cannot exceed the cap either. Bodies are never buffered.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { gatewayError } from './errors.ts';
import type { RouteDefinition } from './routes.ts';

// RFC 9110 §8.3.1 media-type = type "/" subtype parameters; ATTACKER-CONTROLLED.
const MEDIA_TYPE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*(;.*)?$/;

/** The bare, lowercased media type of a Content-Type value, or undefined when malformed. */
export function parseMediaType(value: string): string | undefined {
  const match = MEDIA_TYPE.exec(value.trim());
  return match === null ? undefined : (match[1] as string).toLowerCase();
}

export interface BodyFraming {
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  readonly contentType: string | undefined;
}

/** Whether the request carries a body at all (RFC 9112 §6.3). */
export function hasBody(framing: BodyFraming): boolean {
  return (
    framing.transferEncoding !== undefined ||
    (framing.contentLength !== undefined && framing.contentLength !== '0')
  );
}

/** Up-front checks; framing was already vetted by `checkHeaders`. */
export function checkBody(route: RouteDefinition, framing: BodyFraming): void {
  if (!hasBody(framing)) return;
  if (framing.contentLength !== undefined && Number(framing.contentLength) > route.bodyCapBytes) {
    throw gatewayError('body_too_large', { detail: 'content-length' });
  }
  if (route.bodyCapBytes === 0) throw gatewayError('body_too_large', { detail: 'no-body-route' });
  const mediaType =
    framing.contentType === undefined ? undefined : parseMediaType(framing.contentType);
  if (mediaType === undefined || !route.contentTypes.includes(mediaType)) {
    throw gatewayError('unsupported_media_type', { detail: mediaType ?? 'missing' });
  }
}

/**
 * A pass-through stream that fails with `body_too_large` once more than `capBytes` have passed.
 * Used on the streamed upload so the cap holds for chunked bodies too.
 */
export function createBodyCap(capBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > capBytes) {
        callback(gatewayError('body_too_large', { detail: 'streamed' }));
        return;
      }
      callback(null, chunk);
    },
  });
}
