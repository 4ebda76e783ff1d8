/**
 * Authority bench (issue 3 "Done when"): `POST /token` client_credentials + private_key_jwt +
 * DPoP, tokens/s and p50/p99 at concurrency 1 and 32, against
 *   1. our Authority on the EMBEDDED store (PGlite on disk) with the hash-chained SQL audit sink
 *      persisting every issuance (group commit), in-memory KV for replay caches and limits;
 *   2. the raw crypto the request needs (verify assertion + verify proof + sign token), measured
 *      in the same run without HTTP — the ceiling;
 *   3. panva's `oidc-provider` 8 (devDependency, bench only) configured for client_credentials +
 *      private_key_jwt + DPoP + JWT access tokens — the peer.
 * Every request carries a FRESH assertion and a FRESH DPoP proof (unique `jti`s). They are
 * SIGNED AHEAD in a pool, outside the timed section (request i uses pair i), so the figures are
 * the server's work, not the load generator's. Plain HTTP on loopback for both servers; each
 * server runs in its own CHILD process (the load generator stays here, off the server's event
 * loop); `BENCH_INPROCESS=1` restores the in-process harness, `BENCH_CPU_PROFILE=<dir>` writes a
 * V8 CPU profile of each server process.
 *
 * At c=32 two diagnostic servers explain the figure: an HTTP FLOOR (empty fastify `/token`
 * route, same requests, same response size) and the same Authority with its audit events dropped.
 * The server CPU per token is split into floor + raw crypto + the Authority's own work.
 */
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fastify from 'fastify';
import { Pool } from 'undici';
import { createIdGenerator, systemClock } from '@stella/core';
import type { Logger, SqlDatabase } from '@stella/core';
import { createMemoryKv, createPgliteDatabase, createSqlAuditSink } from '@stella/storage';
import { authorityMigrations, createAuthorityService } from '@stella/authority';
import { emit, log } from './lib/emit.ts';
import { emitSkipped } from './lib/compare.ts';
import { benchDurationMs, benchWarmupMs, measureOps, round3 } from './lib/measure.ts';
import type { MeasureResult } from './lib/measure.ts';

const BENCH = 'authority';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function es256(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

function verifyEs256(jws: string, key: KeyObject): boolean {
  const dot = jws.lastIndexOf('.');
  return verify(
    'sha256',
    Buffer.from(jws.slice(0, dot)),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(jws.slice(dot + 1), 'base64url'),
  );
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const clientJwk: Record<string, unknown> = {
  ...clientKey.publicKey.export({ format: 'jwk' }),
  kid: 'bench-1',
  alg: 'ES256',
};
const dpopJwk = dpopKey.publicKey.export({ format: 'jwk' });

/** One fresh (assertion, proof) pair per request, signed before the timed loop. */
function signPool(issuer: string, clientId: string, size: number) {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: size }, () => ({
    assertion: es256(
      clientKey.privateKey,
      { alg: 'ES256', kid: 'bench-1', typ: 'JWT' },
      { iss: clientId, sub: clientId, aud: issuer, jti: randomUUID(), iat: now, exp: now + 240 },
    ),
    proof: es256(
      dpopKey.privateKey,
      { alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk },
      { jti: randomUUID(), htm: 'POST', htu: `${issuer}/token`, iat: now },
    ),
  }));
}

type Pair = ReturnType<typeof signPool>[number];

/** One client_credentials request with a pre-signed (assertion, proof) pair. */
function tokenRequest(pool: Pool, pair: Pair, params: Record<string, string>) {
  return pool.request({
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: pair.proof },
    body: new URLSearchParams({
      ...params,
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: pair.assertion,
    }).toString(),
  });
}

function tokenOp(pool: Pool, pairs: Pair[], params: Record<string, string>, reuse = false) {
  return async (i: number) => {
    // Only the floor may reuse pairs (it checks nothing); the servers refuse a replayed jti.
    const pair = pairs[reuse ? i % pairs.length : i];
    if (pair === undefined) throw new Error('pool exhausted');
    const res = await tokenRequest(pool, pair, params);
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
  };
}

function fields(r: MeasureResult) {
  return {
    p50_ms: r.p50Ms,
    p99_ms: r.p99Ms,
    ops: r.ops,
    errors: r.errors,
    duration_ms: r.durationMs,
  };
}

type Measured = MeasureResult & {
  readonly auditCommits?: number | undefined;
  /** The load generator's (this process's) CPU over the timed window, per token. */
  readonly loadCpuUsPerToken?: number | undefined;
  /** Server process CPU (user + system) over the timed window, per token; child mode only. */
  readonly serverCpuUsPerToken?: number | undefined;
};

/** Pool size: generous for warm-up + duration at up to ~8k tokens/s. */
const poolSize = () => Math.ceil((benchWarmupMs() + benchDurationMs() + 400) * 8);

async function measureServer(
  name: string,
  origin: string,
  issuer: string,
  clientId: string,
  params: Record<string, string>,
  server: Served,
  concurrencies: readonly number[] = [1, 32],
  reusePairs = false,
): Promise<Map<number, Measured>> {
  const results = new Map<number, Measured>();
  for (const concurrency of concurrencies) {
    const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
    log(
      `${BENCH}: signing ${poolSize()} assertion+proof pairs ahead for ${name} c${concurrency} …`,
    );
    const pairs = signPool(issuer, clientId, poolSize());
    // Probe once so a misconfiguration fails loudly instead of as a row of errors.
    await tokenOp(pool, pairs, params)(pairs.length - 1);
    log(`${BENCH}: ${name} at concurrency ${concurrency} …`);
    let before: ServerStats = {};
    let load0 = process.cpuUsage();
    const r = await measureOps(tokenOp(pool, pairs, params, reusePairs), {
      durationMs: benchDurationMs(),
      concurrency,
      afterWarmup: async () => {
        before = await server.stats();
        load0 = process.cpuUsage();
      },
    });
    const load = process.cpuUsage(load0);
    await pool.close();
    const after = await server.stats();
    const delta = (k: keyof ServerStats) => {
      const a = before[k];
      const b = after[k];
      return a === undefined || b === undefined ? undefined : b - a;
    };
    const cpu = delta('cpuUs');
    results.set(concurrency, {
      ...r,
      loadCpuUsPerToken: r.ops === 0 ? undefined : round3((load.user + load.system) / r.ops),
      auditCommits: delta('auditTransactions'),
      serverCpuUsPerToken: cpu === undefined || r.ops === 0 ? undefined : round3(cpu / r.ops),
    });
  }
  return results;
}

/**
 * `persistAudit: false` is a DIAGNOSTIC variant only (never a configuration of the platform):
 * the same Authority with an audit sink that drops events, run to attribute how much of a token's
 * cost is the persisted, hash-chained audit row.
 */
async function startAuthority(clientJwk: Record<string, unknown>, persistAudit = true) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'authority-bench-'));
  const db = createPgliteDatabase({
    dataDir: path.join(dataDir, 'pg'),
    // As stella up's default (embeddedDatabaseThread: main); BENCH_PGLITE_THREAD=worker to compare.
    thread: process.env['BENCH_PGLITE_THREAD'] === 'worker' ? 'worker' : 'main',
  });
  await db.migrate(authorityMigrations);
  // Counts the audit sink's group commits (events per commit is the batching figure).
  const commits = { transactions: 0 };
  const { runInTenant } = db;
  const auditDb: SqlDatabase = {
    ...db,
    withTenant: (tenant, fn) => {
      commits.transactions += 1;
      return db.withTenant(tenant, fn);
    },
    // The sink's usual path once it knows the chain head (one-hop transaction).
    ...(runInTenant === undefined
      ? {}
      : {
          runInTenant: (tenant, statements) => {
            commits.transactions += 1;
            return runInTenant.call(db, tenant, statements);
          },
        }),
  };
  const limit = { limit: 1_000_000, windowMs: 60_000 };
  const service = await createAuthorityService({
    config: {
      issuer,
      tokenClientLimit: limit,
      tokenAddressLimit: limit,
      requireNonceAudiences: [],
    },
    db,
    kv: createMemoryKv({ clock: systemClock, maxEntries: 1_000_000 }),
    audit: persistAudit
      ? createSqlAuditSink({ db: auditDb, clock: systemClock })
      : { append: () => Promise.resolve() },
    logger: silent,
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    signingKeyRef: 'env:BENCH_AUTHORITY_KEY',
    nonceSecret: new Uint8Array(32).fill(7),
  });
  await service.admin.addTenant('bench');
  await service.admin.addClient({
    id: 'bench-client',
    tenants: ['bench'],
    allowedScopes: ['evidence:read'],
    allowedAudiences: ['gateway'],
    authMethod: 'private_key_jwt',
    jwks: { keys: [clientJwk] },
  });
  await service.app.listen({ host: '127.0.0.1', port });
  return {
    issuer,
    auditTransactions: () => commits.transactions,
    async close() {
      await service.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The HTTP floor: fastify on the same kind of listener, fed the same form bodies and DPoP header,
 * whose `/token` route answers a canned body of a real token response's size without reading
 * anything. What the Authority costs above this is its own work (crypto included).
 */
async function startFloor() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const app = fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );
  const canned = JSON.stringify({
    access_token: 'x'.repeat(Number(process.env['AUTHORITY_BENCH_TOKEN_CHARS'] ?? '700')),
    token_type: 'DPoP',
    expires_in: 120,
    scope: 'evidence:read',
  });
  app.post('/token', async (_request, reply) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(canned),
  );
  await app.listen({ host: '127.0.0.1', port });
  return { issuer, close: () => app.close() };
}

interface ProviderLike {
  listen(port: number, host: string): { close(cb: () => void): void };
}

async function startPeer(clientJwk: Record<string, unknown>) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const mod = (await import('oidc-provider' as string)) as {
    default: new (issuer: string, config: Record<string, unknown>) => ProviderLike;
  };
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'jwk',
  });
  const provider = new mod.default(issuer, {
    clients: [
      {
        client_id: 'bench-client',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
        jwks: { keys: [clientJwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'evidence:read',
      },
    ],
    jwks: { keys: [{ ...signing, kid: 'peer-1', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: ['bench-cookie-key-not-a-secret'] },
    scopes: ['evidence:read'],
    enabledJWA: { clientAuthSigningAlgValues: ['ES256'], dPoPSigningAlgValues: ['ES256'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:stella:gateway',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'evidence:read',
          audience: 'gateway',
          accessTokenTTL: 120,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const server = provider.listen(port, '127.0.0.1');
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function rawCryptoOp(): (i: number) => Promise<void> {
  const issuer = 'http://127.0.0.1:1';
  const pairs = signPool(issuer, 'bench-client', 4096);
  const tokenKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return async (i) => {
    const pair = pairs[i % pairs.length]!;
    // Keys already imported (the Authority caches client and DPoP keys by thumbprint too).
    if (!verifyEs256(pair.assertion, clientKey.publicKey)) throw new Error('assertion');
    if (!verifyEs256(pair.proof, dpopKey.publicKey)) throw new Error('proof');
    const now = Math.floor(Date.now() / 1000);
    es256(
      tokenKey,
      { alg: 'ES256', typ: 'at+jwt', kid: 'k' },
      {
        iss: issuer,
        sub: 'bench-client',
        aud: 'gateway',
        iat: now,
        exp: now + 120,
        jti: randomUUID(),
      },
    );
  };
}

/** One real token response's `access_token` length, so the floor answers as many bytes. */
async function probeTokenChars(issuer: string): Promise<number> {
  const pool = new Pool(issuer, { connections: 1 });
  try {
    const [pair] = signPool(issuer, 'bench-client', 1);
    if (pair === undefined) throw new Error('no pair');
    const res = await tokenRequest(pool, pair, { audience: 'gateway', scope: 'evidence:read' });
    const body = (await res.body.json()) as { access_token?: unknown };
    if (typeof body.access_token !== 'string') throw new Error(`probe: ${res.statusCode}`);
    return body.access_token.length;
  } finally {
    await pool.close();
  }
}

/**
 * Where a token's server CPU goes at c=32, from runs of the same load generator: the HTTP floor,
 * the raw crypto (single-thread CPU per op) and the rest (parsing, validation, client/limit/replay
 * checks, audit, response building). The audit-dropped diagnostic is reported beside it, not
 * subtracted: without group commit holding answers back, requests stop arriving in bursts and
 * each one pays its own wake-ups, so dropping the audit does not make a token cheaper.
 */
function emitDecomposition(
  raw: MeasureResult,
  ours: Measured | undefined,
  auditDropped: Measured | undefined,
  floor: Measured | undefined,
): void {
  const cpu = (m: Measured | undefined) => m?.serverCpuUsPerToken;
  const extra = { concurrency: 32 };
  const runs = [
    [
      floor,
      'http_floor_requests_per_sec',
      'req/s',
      'empty fastify /token route, same requests, same response size',
    ],
    [
      auditDropped,
      'diagnostic_audit_dropped_tokens_per_sec',
      'tokens/s',
      'diagnostic only: the same Authority with audit events dropped',
    ],
  ] as const;
  for (const [m, metric, unit, note] of runs) {
    if (m === undefined) continue;
    emit({
      bench: BENCH,
      metric,
      value: m.opsPerSec,
      unit,
      ...extra,
      note,
      ...(cpu(m) === undefined ? {} : { server_cpu_us_per_request: cpu(m) }),
      ...fields(m),
    });
  }
  const total = cpu(ours);
  const floorCpu = cpu(floor);
  if (total === undefined || floorCpu === undefined || raw.opsPerSec <= 0) return;
  const crypto = round3(1e6 / raw.opsPerSec);
  const rest = round3(total - floorCpu - crypto);
  emit({
    bench: BENCH,
    metric: 'server_cpu_us_per_token_decomposition',
    value: total,
    unit: 'cpu-µs/token',
    ...extra,
    http_floor: floorCpu,
    raw_crypto: crypto,
    rest,
  });
  log(
    `${BENCH}: server CPU per token at c=32 ${Math.round(total)} µs = HTTP floor ${Math.round(floorCpu)} + raw crypto ${Math.round(crypto)} + the Authority's own work ${Math.round(rest)} (audit dropped, diagnostic: ${noAuditText(auditDropped)})`,
  );
}

function noAuditText(m: Measured | undefined): string {
  return m?.serverCpuUsPerToken === undefined
    ? 'not measured'
    : `${Math.round(m.serverCpuUsPerToken)} µs/token at ${m.opsPerSec}/s`;
}

async function main() {
  const started = performance.now();
  log(
    `${BENCH}: assertions and DPoP proofs are pre-signed OUTSIDE the timed section (one fresh pair per request)`,
  );
  const raw = await measureOps(rawCryptoOp(), { durationMs: benchDurationMs(), concurrency: 1 });
  emit({
    bench: BENCH,
    metric: 'raw_crypto_verify_assertion_verify_proof_sign_token',
    value: raw.opsPerSec,
    unit: 'ops/s',
    concurrency: 1,
    ...fields(raw),
  });

  // BENCH_AUTHORITY_QUICK=1: only our Authority at c=32 (for iterating on the hot path).
  const quick = process.env['BENCH_AUTHORITY_QUICK'] === '1';
  const authority = await serve('ours');
  let ours: Map<number, Measured>;
  let tokenChars: number;
  try {
    tokenChars = await probeTokenChars(authority.issuer);
    ours = await measureServer(
      'stella authority',
      authority.issuer,
      authority.issuer,
      'bench-client',
      {
        audience: 'gateway',
        scope: 'evidence:read',
      },
      authority,
      quick ? [32] : [1, 32],
    );
  } finally {
    await authority.close();
  }
  if (quick) {
    const r = ours.get(32);
    emit({
      bench: BENCH,
      metric: 'tokens_per_sec',
      value: r?.opsPerSec ?? null,
      unit: 'tokens/s',
      concurrency: 32,
      ratio_to_raw_crypto: r === undefined ? null : round3(r.opsPerSec / raw.opsPerSec),
      ...(r?.serverCpuUsPerToken === undefined
        ? {}
        : { server_cpu_us_per_token: r.serverCpuUsPerToken }),
      ...(r?.loadCpuUsPerToken === undefined ? {} : { load_cpu_us_per_token: r.loadCpuUsPerToken }),
      ...(r?.auditCommits === undefined || r.auditCommits === 0
        ? {}
        : { audit_events_per_commit: round3(r.ops / r.auditCommits) }),
      ...(r === undefined ? {} : fields(r)),
    });
    return;
  }

  // Decomposition at c=32 (diagnostic runs, same load generator): the same Authority with its
  // audit events dropped, and the bare HTTP floor.
  /** One c=32 run against a diagnostic server kind. */
  async function diagnostic(
    kind: ServerKind,
    name: string,
    env: Record<string, string> = {},
    reusePairs = false,
  ): Promise<Measured | undefined> {
    const server = await serve(kind, env);
    try {
      const params = { audience: 'gateway', scope: 'evidence:read' };
      const runs = await measureServer(
        name,
        server.issuer,
        server.issuer,
        'bench-client',
        params,
        server,
        [32],
        reusePairs,
      );
      return runs.get(32);
    } finally {
      await server.close();
    }
  }
  const auditDropped = await diagnostic(
    'ours-audit-dropped',
    'stella authority, audit dropped (diagnostic)',
  );
  const floor = await diagnostic(
    'floor',
    'HTTP floor',
    { AUTHORITY_BENCH_TOKEN_CHARS: String(tokenChars) },
    true,
  );

  let peer: Map<number, Measured> | undefined;
  try {
    const provider = await serve('peer');
    try {
      peer = await measureServer(
        'oidc-provider 8',
        provider.issuer,
        provider.issuer,
        'bench-client',
        {
          scope: 'evidence:read',
          resource: 'urn:stella:gateway',
        },
        provider,
      );
    } finally {
      await provider.close();
    }
  } catch (error) {
    emitSkipped(
      BENCH,
      'peer_oidc_provider_tokens_per_sec',
      'tokens/s',
      `peer failed: ${(error as Error).message.slice(0, 200)}`,
    );
  }

  for (const concurrency of [1, 32]) {
    const r = ours.get(concurrency)!;
    const p = peer?.get(concurrency);
    if (p !== undefined) {
      emit({
        bench: BENCH,
        metric: 'peer_oidc_provider_tokens_per_sec',
        value: p.opsPerSec,
        unit: 'tokens/s',
        concurrency,
        ...fields(p),
      });
    }
    emit({
      bench: BENCH,
      metric: 'tokens_per_sec',
      value: r.opsPerSec,
      unit: 'tokens/s',
      concurrency,
      store: 'pglite+sql-audit',
      pre_signed_requests: true,
      ratio_to_raw_crypto: raw.opsPerSec > 0 ? round3(r.opsPerSec / raw.opsPerSec) : null,
      ratio_to_peer: p !== undefined && p.opsPerSec > 0 ? round3(r.opsPerSec / p.opsPerSec) : null,
      ...(r.serverCpuUsPerToken === undefined
        ? {}
        : { server_cpu_us_per_token: r.serverCpuUsPerToken }),
      ...(r.loadCpuUsPerToken === undefined ? {} : { load_cpu_us_per_token: r.loadCpuUsPerToken }),
      ...(p?.serverCpuUsPerToken === undefined
        ? {}
        : { peer_server_cpu_us_per_token: p.serverCpuUsPerToken }),
      ...fields(r),
    });
    // Group commit at work: audit events (one per token) per SQL transaction in the window.
    if (r.auditCommits !== undefined && r.auditCommits > 0) {
      emit({
        bench: BENCH,
        metric: 'audit_events_per_commit',
        value: round3(r.ops / r.auditCommits),
        unit: 'events/commit',
        concurrency,
        commits_per_sec: Math.round((r.auditCommits * 1000) / r.durationMs),
      });
    }
  }
  emitDecomposition(raw, ours.get(32), auditDropped, floor);
  log(`${BENCH}: done in ${Math.round((performance.now() - started) / 1000)} s`);
}

type ServerKind = 'ours' | 'ours-audit-dropped' | 'floor' | 'peer';
const SERVER_KINDS: readonly string[] = ['ours', 'ours-audit-dropped', 'floor', 'peer'];
const SERVE_ENV = 'AUTHORITY_BENCH_SERVE';

/**
 * Starts a server under test. By default in a CHILD process, so the server has the event loop to
 * itself and the load generator (undici, in this process) does not eat into its figures on this
 * 2-core machine; both servers get the same treatment. `BENCH_INPROCESS=1` runs them in this
 * process instead (the original harness, for comparison with older results).
 */
interface ServerStats {
  /** Audit group commits so far (ours only; undefined for the peer). */
  readonly auditTransactions?: number | undefined;
  /** The server process's CPU time so far, µs (child mode only). */
  readonly cpuUs?: number | undefined;
}

interface Served {
  readonly issuer: string;
  stats(): Promise<ServerStats>;
  close(): Promise<void>;
}

async function serve(kind: ServerKind, env: Record<string, string> = {}): Promise<Served> {
  if (process.env['BENCH_INPROCESS'] === '1') {
    if (kind === 'floor') {
      Object.assign(process.env, env);
      const floor = await startFloor();
      return { ...floor, stats: () => Promise.resolve({}) };
    }
    if (kind === 'peer') {
      const peer = await startPeer(clientJwk);
      return { ...peer, stats: () => Promise.resolve({}) };
    }
    const ours = await startAuthority(clientJwk, kind === 'ours');
    return {
      ...ours,
      stats: () => Promise.resolve({ auditTransactions: ours.auditTransactions() }),
    };
  }
  const child = fork(import.meta.filename, [], {
    env: {
      ...process.env,
      ...env,
      [SERVE_ENV]: kind,
      AUTHORITY_BENCH_CLIENT_JWK: JSON.stringify(clientJwk),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of each server process (read the top frames).
    execArgv: [
      ...process.execArgv,
      ...(process.env['BENCH_CPU_PROFILE'] === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROFILE']}`]),
    ],
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { issuer: string }).issuer));
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
  return {
    issuer,
    stats: () =>
      new Promise<ServerStats>((resolve) => {
        child.once('message', (m) => resolve(m as ServerStats));
        child.send('stats');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

async function serveChild(kind: ServerKind) {
  const jwk = JSON.parse(process.env['AUTHORITY_BENCH_CLIENT_JWK'] ?? '{}') as Record<
    string,
    unknown
  >;
  const ours =
    kind === 'ours' || kind === 'ours-audit-dropped'
      ? await startAuthority(jwk, kind === 'ours')
      : undefined;
  const server = ours ?? (kind === 'floor' ? await startFloor() : await startPeer(jwk));
  process.on('message', (m) => {
    if (m === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({
        auditTransactions: ours?.auditTransactions(),
        cpuUs: cpu.user + cpu.system,
      });
      return;
    }
    if (m !== 'close') return;
    void server.close().then(() => process.exit(0));
  });
  process.send?.({ issuer: server.issuer });
}

const serveKind = process.env[SERVE_ENV];
if (serveKind !== undefined && SERVER_KINDS.includes(serveKind))
  await serveChild(serveKind as ServerKind);
else await main();
