/** Raw HTTP/1.1 over a socket: what Node's parser sees exactly (no client normalization). */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

function parse(raw: string): RawResponse {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return {
    status: Number(statusLine.split(' ')[1] ?? 0),
    headers,
    body: rest.join('\r\n\r\n'),
    raw,
  };
}

/** Writes `request` bytes, reads until the server closes (send `Connection: close`). */
export function rawRequest(
  port: number,
  request: string | Buffer,
  tls?: ConnectionOptions,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket =
      tls === undefined
        ? connect(port, '127.0.0.1')
        : tlsConnect({ port, host: '127.0.0.1', ...tls });
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parse(Buffer.concat(chunks).toString('latin1'))));
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
  });
}
