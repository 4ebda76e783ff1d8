/**
 * `POST /api/v1/attestor/verify` (scope `attestor:verify`): `{uuid}`, `{envelope}` or
 * `{artifactDigest}`. The server runs the SAME offline verifier a client runs (`verifyBundle`)
 * over the stored envelope and a fresh receipt, with the signer's published keys and this log's
 * vkey as trust, and answers which steps ran and the verdict. An envelope or digest with no log
 * entry is the verdict `not_logged`, not an error.
 */
import type { FastifyInstance } from 'fastify';
import { canonicalize, parseJsonStrict, sha256Hex } from '@stella/core';
import type { AuditSink, Logger } from '@stella/core';
import { attestorError } from '../errors.ts';
import type { SignerKeySource } from '../submission/signer-keys.ts';
import type { LogEntry, LogReader } from '../tlog/log-reader.ts';
import type { LogSigner } from '../tlog/log-signer.ts';
import { verifyBundle } from '../verify-bundle.ts';
import { audit, parseDigestText, tenantOf } from './http-support.ts';

export interface VerifyRouteDeps {
  readonly log: LogReader;
  readonly signer: LogSigner;
  readonly keys: SignerKeySource;
  readonly pageSize: number;
  readonly maxEnvelopeBytes: number;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function registerVerifyRoute(app: FastifyInstance, deps: VerifyRouteDeps): void {
  async function check(tenant: string, entry: LogEntry, artifactDigest: string) {
    const trust = {
      signerKeys: await deps.keys.all(),
      logs: [{ tenant, origin: deps.signer.origin(tenant), vkey: deps.signer.vkey(tenant) }],
    };
    const envelope = JSON.parse(Buffer.from(entry.leaf.envelope).toString('utf8')) as unknown;
    const result = verifyBundle({
      artifactDigest,
      bundle: { envelope, receipt: entry.receipt },
      trust,
    });
    return { uuid: entry.leaf.uuid, index: entry.leaf.index, ...result };
  }

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => {
      done(null, body);
    });
    scope.post(
      '/api/v1/attestor/verify',
      {
        bodyLimit: deps.maxEnvelopeBytes + 1024,
        config: { auth: { scopes: ['attestor:verify'], tenant: true }, callers: ['gateway'] },
      },
      async (request, reply) => {
        const tenant = tenantOf(request);
        let body: unknown;
        try {
          body = parseJsonStrict((request.body as Buffer).toString('utf8'), { maxDepth: 32 });
        } catch {
          throw attestorError('invalid_request', { detail: 'body is not strict JSON' });
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw attestorError('invalid_request');
        }
        const keys = Object.keys(body);
        const value = (body as Record<string, unknown>)[keys[0] ?? ''];
        if (keys.length !== 1) throw attestorError('invalid_request', { detail: 'one selector' });
        let entries: LogEntry[] = [];
        let artifactDigest: string | undefined;
        if (keys[0] === 'uuid') {
          if (typeof value !== 'string' || !UUID.test(value))
            throw attestorError('invalid_request');
          const entry = await deps.log.entryByUuid(tenant, value);
          if (entry !== undefined) entries = [entry];
        } else if (keys[0] === 'envelope') {
          if (typeof value !== 'object' || value === null) throw attestorError('invalid_envelope');
          const entry = await deps.log.entryByEnvelope(tenant, sha256Hex(canonicalize(value)));
          if (entry !== undefined) entries = [entry];
        } else if (keys[0] === 'artifactDigest') {
          artifactDigest = parseDigestText(value);
          entries = await deps.log.entriesBySubject(
            tenant,
            artifactDigest,
            undefined,
            deps.pageSize,
          );
        } else {
          throw attestorError('invalid_request', { detail: 'unknown selector' });
        }
        const results = [];
        for (const entry of entries) {
          results.push(await check(tenant, entry, artifactDigest ?? entry.leaf.subjectDigests[0]!));
        }
        const verdict =
          results.length === 0 ? 'not_logged' : results.some((r) => r.ok) ? 'valid' : 'invalid';
        await audit(deps.audit, deps.logger, request, {
          type: 'attestor.verify',
          outcome: 'success',
          properties: { verdict, entries: results.length },
        });
        return reply.send({ verdict, entries: results });
      },
    );
  });
}
