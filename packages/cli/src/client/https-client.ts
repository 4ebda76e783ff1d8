import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { cliClientError } from './errors.ts';

/**
 * The CLI's one HTTP(S) client: trusts the platform CA given in the profile or platform.json
 * (never disables verification) and, for `tls_client_auth`, presents the client certificate.
 * Response bodies are buffered up to a cap so a misbehaving server cannot exhaust memory.
 */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | Readable;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface HttpClientOptions {
  /** PEM of the CA to trust (the platform CA); undefined → Node's default roots. */
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Largest response body accepted (bytes). */
  readonly maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE = 256 * 1024 * 1024;

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const connect = {
    ...(options.caPem === undefined ? {} : { ca: options.caPem }),
    ...(options.certPem === undefined ? {} : { cert: options.certPem }),
    ...(options.keyPem === undefined ? {} : { key: options.keyPem }),
  };
  const dispatcher = new Agent({ connect });
  const max = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
  return {
    async send(req) {
      let res;
      try {
        res = await request(req.url, {
          method: req.method as 'GET',
          dispatcher,
          ...(req.headers === undefined ? {} : { headers: { ...req.headers } }),
          ...(req.body === undefined ? {} : { body: req.body }),
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw cliClientError('unreachable', {
          description: `cannot reach ${new URL(req.url).origin} (${typeof code === 'string' ? code : 'connection failed'}); is the platform running (\`npm start\`) and is the URL right?`,
          cause: error,
        });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > max) {
          res.body.destroy();
          throw cliClientError('unexpected_response', {
            detail: `response larger than ${max} bytes`,
          });
        }
        chunks.push(buf);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
    },
    close: () => dispatcher.close(),
  };
}

/** A client that trusts `caFile` (and presents `certFile`/`keyFile` when both are given). */
export async function createHttpClientFromFiles(files: {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}): Promise<HttpClient> {
  const read = (file: string | undefined) =>
    file === undefined ? undefined : readFile(file, 'utf8');
  const [caPem, certPem, keyPem] = await Promise.all([
    read(files.caFile),
    read(files.certFile),
    read(files.keyFile),
  ]);
  return createHttpClient({
    ...(caPem === undefined ? {} : { caPem }),
    ...(certPem === undefined ? {} : { certPem }),
    ...(keyPem === undefined ? {} : { keyPem }),
  });
}

export function headerOf(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses a JSON response body; a non-JSON body is `unexpected_response`. */
export function jsonOf(res: HttpResponse): unknown {
  try {
    return JSON.parse(Buffer.from(res.body).toString('utf8'));
  } catch {
    throw cliClientError('unexpected_response', { detail: `status ${res.status}, body not JSON` });
  }
}
