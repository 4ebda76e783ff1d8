/**
 * `GET /internal/audit?tenant=<t>&afterSeq=<n>&limit=<n≤1000>` (admin API: mTLS + certificate-bound
 * `authority:admin` token). Pages through one tenant's hash chain (PLATFORM.md §7) with
 * `@stella/storage`'s reader and attaches a head attestation: a compact JWS by the Authority's
 * current token-signing key (its kid is in `/jwks`), `typ: stella-audit-head+jwt`, payload (RFC
 * 8785 bytes) `{tenant, headSeq, headHash, count}` where `count` is the number of records in the
 * chain up to the head (seq is contiguous from 1, so count = headSeq). `stella audit export`
 * stores it so `stella audit verify` can check an export offline against the JWKS.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '@stella/core';
import { canonicalize } from '@stella/core';
import { isTenantId, readAuditEvents, readAuditHead } from '@stella/storage';
import { authorityError } from '../errors.ts';
import { signCompactJws } from '../compact-jws.ts';
import type { SigningKeyStore } from '../signing-keys.ts';
import type { AdminGuard } from './admin-routes.ts';

export const AUDIT_HEAD_TYP = 'stella-audit-head+jwt';
/** Most records per page. */
export const MAX_AUDIT_PAGE = 1000;

export interface AuditQuery {
  readonly tenant: string;
  readonly afterSeq: number;
  readonly limit: number;
}

function bad(description: string): never {
  throw authorityError('invalid_request', { description });
}

const DECIMAL = /^(0|[1-9][0-9]{0,14})$/;

/** Validates the attacker-controlled query: known names only, each once, canonical decimals. */
export function parseAuditQuery(query: unknown): AuditQuery {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(q)) {
    if (!['tenant', 'afterSeq', 'limit'].includes(name)) bad(`unknown parameter ${name}`);
    if (typeof value !== 'string') bad(`parameter ${name} repeated`);
  }
  const tenant = q['tenant'];
  if (!isTenantId(tenant)) bad('tenant is required');
  const number = (name: string, fallback: number) => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !DECIMAL.test(raw)) bad(`${name} must be a decimal integer`);
    return Number(raw);
  };
  const afterSeq = number('afterSeq', 0);
  const limit = number('limit', MAX_AUDIT_PAGE);
  if (limit < 1 || limit > MAX_AUDIT_PAGE) bad(`limit must be in 1..${MAX_AUDIT_PAGE}`);
  return { tenant, afterSeq, limit };
}

export function registerAuditRoute(
  app: FastifyInstance,
  deps: { db: SqlDatabase; keys: SigningKeyStore; admin: AdminGuard },
): void {
  app.get('/internal/audit', async (request: FastifyRequest, reply) => {
    await deps.admin(request);
    const { tenant, afterSeq, limit } = parseAuditQuery(request.query);
    // Head first: records are then read up to at least this head, and the attestation never
    // names a head older than a record in the same page.
    const head = await readAuditHead(deps.db, tenant);
    const records = (await readAuditEvents(deps.db, tenant, { sinceSeq: afterSeq, limit })).filter(
      (r) => r.seq <= head.seq,
    );
    const last = records.at(-1);
    const nextAfterSeq = last !== undefined && last.seq < head.seq ? last.seq : null;
    const payload = { tenant, headSeq: head.seq, headHash: head.hash, count: head.seq };
    const attestation = signCompactJws(
      await deps.keys.activeKey(),
      { typ: AUDIT_HEAD_TYP },
      canonicalize(payload),
    );
    return reply
      .header('cache-control', 'no-store')
      .send({ tenant, records, nextAfterSeq, head, attestation });
  });
}
