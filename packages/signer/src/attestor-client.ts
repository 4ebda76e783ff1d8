import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { DsseEnvelope } from '@stella/crypto';
import { signerError } from './errors.ts';
import type { TokenSource } from './token-source.ts';

/** The attestor receipt (PLATFORM.md §6), passed through to the caller as received. */
export interface AttestorReceipt {
  readonly uuid: string;
  readonly index: number;
  readonly [member: string]: unknown;
}

/** Port: append a signed envelope to the tenant's transparency log. */
export interface AttestorClient {
  submit(request: {
    tenant: string;
    envelope: DsseEnvelope;
    correlationId: string;
  }): Promise<AttestorReceipt>;
}

export interface HttpAttestorClientOptions {
  readonly attestorUrl: string;
  /** Presents the signer's `spiffe://…/svc/signer` certificate: only it may append. */
  readonly dispatcher: Dispatcher;
  readonly tokens: TokenSource;
  readonly timeoutMs: number;
}

const MAX_RECEIPT_BYTES = 1024 * 1024;

function unavailable(detail: string) {
  return signerError('attestor_unavailable', { detail });
}

/** `POST {attestorUrl}/api/v1/attestor/entries` with `{ "envelope": <DSSE> }`. */
export function createHttpAttestorClient(options: HttpAttestorClientOptions): AttestorClient {
  return {
    async submit({ tenant, envelope, correlationId }) {
      let token: string;
      try {
        token = await options.tokens.getToken({
          tenant,
          audience: 'attestor',
          scope: 'attestor:write',
        });
      } catch {
        throw unavailable('no attestor:write token');
      }
      let status: number;
      let text: string;
      try {
        const res = await request(new URL('/api/v1/attestor/entries', options.attestorUrl), {
          method: 'POST',
          dispatcher: options.dispatcher,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'x-correlation-id': correlationId,
          },
          body: JSON.stringify({ envelope }),
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch {
        throw unavailable('attestor unreachable');
      }
      if ((status !== 200 && status !== 201) || text.length > MAX_RECEIPT_BYTES) {
        throw unavailable(`attestor answered ${status}`);
      }
      let receipt: unknown;
      try {
        receipt = JSON.parse(text);
      } catch {
        throw unavailable('receipt is not JSON');
      }
      if (
        typeof receipt !== 'object' ||
        receipt === null ||
        typeof (receipt as Record<string, unknown>)['uuid'] !== 'string' ||
        typeof (receipt as Record<string, unknown>)['index'] !== 'number'
      ) {
        throw unavailable('malformed receipt');
      }
      return receipt as AttestorReceipt;
    },
  };
}
