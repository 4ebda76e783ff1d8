/**
 * Log entries (issue 6 wire table): `POST /api/v1/attestor/entries` (signer only, returns a
 * receipt; 201 for a new entry, 200 for a duplicate envelope), `GET /api/v1/attestor/entries/<uuid>`
 * and `GET /api/v1/attestor/entries/by-index/<n>` (entry + envelope + receipt; issue 6 "entry by
 * uuid or index") and `GET /api/v1/attestor/entries?subject=sha256:<hex>&cursor=<c>` (newest
 * first; the cursor is the smallest index of the previous page).
 */
import type { FastifyInstance } from 'fastify';
import { isStellaError } from '@stella/core';
import type { AuditSink, Logger } from '@stella/core';
import { attestorError } from '../errors.ts';
import type { EvidenceStore } from '../evidence/evidence-store.ts';
import { prepareEntry } from '../submission/prepare-entry.ts';
import type { PrepareEntryDeps } from '../submission/prepare-entry.ts';
import type { LogEntry, LogReader } from '../tlog/log-reader.ts';
import type { Sequencer } from '../tlog/sequencer.ts';
import { audit, parseCount, parseDigestText, queryOf, tenantOf } from './http-support.ts';

export interface EntryRouteDeps extends Omit<PrepareEntryDeps, 'evidenceBytes'> {
  readonly evidence: EvidenceStore;
  readonly sequencer: Sequencer;
  readonly log: LogReader;
  readonly pageSize: number;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The wire form of an entry: what the log holds plus a fresh receipt at the latest checkpoint. */
export function entryBody(entry: LogEntry): Record<string, unknown> {
  return {
    uuid: entry.leaf.uuid,
    index: entry.leaf.index,
    integratedTime: entry.leaf.integratedTime,
    predicateType: entry.leaf.predicateType,
    subjects: entry.leaf.subjectDigests,
    envelope: JSON.parse(Buffer.from(entry.leaf.envelope).toString('utf8')) as unknown,
    receipt: entry.receipt,
  };
}

export function registerEntryRoutes(app: FastifyInstance, deps: EntryRouteDeps): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => {
      done(null, body);
    });
    scope.route({
      method: 'POST',
      url: '/api/v1/attestor/entries',
      bodyLimit: deps.maxEnvelopeBytes + 1024,
      config: { auth: { scopes: ['attestor:write'], tenant: true }, callers: ['signer'] },
      handler: async (request, reply) => {
        const tenant = tenantOf(request);
        try {
          const entry = await prepareEntry(request.body as Buffer, {
            keys: deps.keys,
            clock: deps.clock,
            maxEnvelopeBytes: deps.maxEnvelopeBytes,
            evidenceBytes: async (digest) => {
              try {
                return await deps.evidence.read(tenant, digest);
              } catch (error) {
                // The object store re-hashes on read: stored bytes that no longer match their
                // digest are exactly the `digest_mismatch` case.
                if (isStellaError(error) && error.code === 'object_corrupted') {
                  throw attestorError('digest_mismatch', { detail: digest });
                }
                throw error;
              }
            },
          });
          const existing = await deps.log.entryByEnvelope(tenant, entry.envelopeSha256);
          const receipt = existing?.receipt ?? (await deps.sequencer.submit(tenant, entry));
          await audit(deps.audit, deps.logger, request, {
            type: 'attestor.entry.logged',
            outcome: 'success',
            properties: {
              uuid: receipt.uuid,
              index: receipt.index,
              envelopeDigest: receipt.envelopeDigest,
              duplicate: existing !== undefined,
            },
          });
          return await reply.code(existing === undefined ? 201 : 200).send(receipt);
        } catch (error) {
          await audit(deps.audit, deps.logger, request, {
            type: 'attestor.entry.refused',
            outcome: 'failure',
            reason: isStellaError(error) ? error.code : 'server_error',
          });
          throw error;
        }
      },
    });
  });
  app.route({
    method: 'GET',
    url: '/api/v1/attestor/entries/:uuid',
    config: { auth: { scopes: ['attestor:read'], tenant: true }, callers: ['gateway'] },
    handler: async (request, reply) => {
      const uuid = (request.params as { uuid: string }).uuid;
      if (!UUID.test(uuid)) throw attestorError('invalid_request', { detail: 'uuid' });
      const entry = await deps.log.entryByUuid(tenantOf(request), uuid);
      if (entry === undefined) throw attestorError('not_found');
      return reply.send(entryBody(entry));
    },
  });
  app.route({
    method: 'GET',
    // A static segment: never taken for a uuid (the uuid route refuses anything but a uuid).
    url: '/api/v1/attestor/entries/by-index/:index',
    config: { auth: { scopes: ['attestor:read'], tenant: true }, callers: ['gateway'] },
    handler: async (request, reply) => {
      const index = parseCount((request.params as { index: string }).index, 'index');
      const entry = await deps.log.entryByIndex(tenantOf(request), index);
      // Beyond the log's size and another tenant's index look the same: absent.
      if (entry === undefined) throw attestorError('not_found');
      return reply.send(entryBody(entry));
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/attestor/entries',
    config: { auth: { scopes: ['attestor:read'], tenant: true }, callers: ['gateway'] },
    handler: async (request, reply) => {
      const query = queryOf(request, ['subject', 'cursor']);
      const subject = parseDigestText(query['subject']);
      const cursor =
        query['cursor'] === undefined ? undefined : parseCount(query['cursor'], 'cursor');
      const entries = await deps.log.entriesBySubject(
        tenantOf(request),
        subject,
        cursor,
        deps.pageSize,
      );
      const last = entries.at(-1);
      return reply.send({
        entries: entries.map(entryBody),
        ...(entries.length === deps.pageSize && last !== undefined && last.leaf.index > 0
          ? { nextCursor: String(last.leaf.index) }
          : {}),
      });
    },
  });
}
