import type { AuditEvent } from '@stella/core';
import { isStellaError } from '@stella/core';
import type { SignContext } from './sign-steps.ts';

/** Tenant for events before a tenant is known (PLATFORM.md §7 reserved platform tenant). */
export const PLATFORM_TENANT = '_platform';

function base(
  ctx: Pick<SignContext, 'correlationId' | 'principal' | 'tenant'>,
  network: string | undefined,
) {
  const p = ctx.principal;
  return {
    correlationId: ctx.correlationId,
    tenant: ctx.tenant ?? PLATFORM_TENANT,
    ...(p === undefined
      ? {}
      : { actor: { clientId: p.clientId, subject: p.subject }, scopes: [...p.scopes].sort() }),
    ...(network === undefined ? {} : { network: { address: network } }),
  };
}

function subjectProperties(ctx: Pick<SignContext, 'request'>): Record<string, string | number> {
  const subjects = ctx.request?.subjects ?? [];
  return {
    subjects: subjects.length,
    ...(ctx.request === undefined ? {} : { predicateType: ctx.request.predicateType }),
    ...(subjects.length === 0
      ? {}
      : { subjectDigests: subjects.map((s) => `sha256:${s.sha256}`).join(',') }),
  };
}

/**
 * `signer.sign.denied`: one event per refused request, naming the step and its error code.
 * Only ids, digests and counts: never bytes, tokens or key material.
 */
export function deniedEvent(
  ctx: Pick<SignContext, 'correlationId' | 'principal' | 'tenant' | 'request'>,
  step: string,
  failure: { readonly code: string; readonly status: number },
  network: string | undefined,
): AuditEvent {
  const { code, status } = failure;
  return {
    type: 'signer.sign.denied',
    outcome: code === 'quota_exceeded' ? 'rate_limited' : status >= 500 ? 'error' : 'failure',
    reason: code,
    ...base(ctx, network),
    properties: { step, ...subjectProperties(ctx) },
  };
}

/** The code and status an error maps to on the wire (unexpected errors are `server_error`). */
export function failureOf(error: unknown): { code: string; status: number } {
  return isStellaError(error)
    ? { code: error.code, status: error.status }
    : { code: 'server_error', status: 500 };
}

/** `signer.sign.signed`: the envelope was produced (and, when asked, logged by the attestor). */
export function signedEvent(ctx: SignContext, network: string | undefined): AuditEvent {
  return {
    type: 'signer.sign.signed',
    outcome: 'success',
    ...base(ctx, network),
    properties: {
      ...subjectProperties(ctx),
      keyid: ctx.keyid ?? null,
      attested: ctx.receipt !== undefined,
      ...(ctx.receipt === undefined ? {} : { entryUuid: ctx.receipt.uuid }),
      sources: (ctx.verified ?? []).map((v) => v.source).join(','),
    },
  };
}
