import type { AuditSink, Clock, IdGenerator, KeyValueStore } from '@stella/core';
import { parseJsonStrict } from '@stella/core';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '@stella/crypto';
import type { DsseEnvelope } from '@stella/crypto';
import type { AttestorClient, AttestorReceipt } from './attestor-client.ts';
import type { Principal } from '@stella/auth';
import { buildStatementPayload } from './build-statement.ts';
import { signerError } from './errors.ts';
import { selectSigningKey } from './key-ring.ts';
import type { SignerKeySource } from './key-ring.ts';
import { acquireQuota } from './quota.ts';
import type { QuotaLease, QuotaPolicy } from './quota.ts';
import { validateSignRequest } from './sign-request.ts';
import type { SignRequest } from './sign-request.ts';
import { verifyArtifacts } from './verify-artifacts.ts';
import type { ArtifactVerifierDeps, VerifiedSubject } from './verify-artifacts.ts';

/** Everything the sign steps need, built once by `createSignerService`. */
export interface SignDeps {
  readonly kv: KeyValueStore;
  readonly quota: QuotaPolicy;
  readonly keys: SignerKeySource;
  readonly artifacts: ArtifactVerifierDeps;
  readonly attestor: AttestorClient | undefined;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly allowedPredicateTypes: ReadonlySet<string>;
  readonly maxSubjects: number;
}

/** Per-request state, filled step by step; the audit event is built from it. */
export interface SignContext {
  readonly correlationId: string;
  principal?: Principal;
  tenant?: string;
  rawBody?: Buffer;
  request?: SignRequest;
  lease?: QuotaLease | undefined;
  verified?: VerifiedSubject[];
  payload?: Uint8Array;
  keyid?: string;
  envelope?: DsseEnvelope;
  receipt?: AttestorReceipt;
}

export interface SignStep {
  readonly name: string;
  run(ctx: SignContext, deps: SignDeps): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict JSON (duplicate keys, lone surrogates, invalid UTF-8 refused), then the schema. */
export const parseRequest: SignStep = {
  name: 'parseRequest',
  async run(ctx, deps) {
    let value: unknown;
    try {
      value = parseJsonStrict(utf8.decode(ctx.rawBody ?? Buffer.alloc(0)));
    } catch {
      throw signerError('invalid_request', { detail: 'malformed JSON' });
    }
    ctx.request = validateSignRequest(value, { maxSubjects: deps.maxSubjects });
  },
};

export const checkPredicate: SignStep = {
  name: 'checkPredicate',
  async run(ctx, deps) {
    if (!deps.allowedPredicateTypes.has(ctx.request!.predicateType)) {
      throw signerError('predicate_not_allowed');
    }
  },
};

export const checkQuota: SignStep = {
  name: 'checkQuota',
  async run(ctx, deps) {
    const bytes = ctx.rawBody?.byteLength ?? 0;
    ctx.lease = await acquireQuota(
      deps.kv,
      deps.quota,
      ctx.tenant!,
      bytes,
      deps.clock.now(),
      ctx.correlationId,
    );
  },
};

export const verifyArtifactsStep: SignStep = {
  name: 'verifyArtifacts',
  async run(ctx, deps) {
    ctx.verified = await verifyArtifacts(
      deps.artifacts,
      ctx.tenant!,
      ctx.correlationId,
      ctx.request!.subjects,
    );
  },
};

export const buildStatement: SignStep = {
  name: 'buildStatement',
  async run(ctx) {
    ctx.payload = buildStatementPayload(ctx.request!);
  },
};

/** DSSE over PAE(payloadType, payload) with the key valid now (PLATFORM.md §5). */
export const sign: SignStep = {
  name: 'sign',
  async run(ctx, deps) {
    const entry = selectSigningKey(await deps.keys.current(), deps.clock.now());
    if (entry === undefined) throw signerError('key_unavailable');
    ctx.keyid = entry.key.keyid;
    ctx.envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, ctx.payload!, [entry.key]);
  },
};

export const submitToAttestor: SignStep = {
  name: 'submitToAttestor',
  async run(ctx, deps) {
    if (!ctx.request!.attest) return;
    if (deps.attestor === undefined) {
      throw signerError('attestor_unavailable', { detail: 'no attestor configured' });
    }
    ctx.receipt = await deps.attestor.submit({
      tenant: ctx.tenant!,
      envelope: ctx.envelope!,
      correlationId: ctx.correlationId,
    });
  },
};

/** Gates after authentication, in the order issue 5 fixes. */
export const signSteps: readonly SignStep[] = [
  parseRequest,
  checkPredicate,
  checkQuota,
  verifyArtifactsStep,
  buildStatement,
  sign,
  submitToAttestor,
];
