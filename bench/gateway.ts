/**
 * Gateway bench (issue 4 "Done when"): req/s and p50/p99 at concurrency 32, in ONE run, for
 *   1. direct to the upstream,
 *   2. through a plain undici proxy hop (no auth, no hygiene),
 *   3. through the gateway with full DPoP + access-token verification (replay cache, nonce,
 *      tenant, scope, three rate-limit counters, identity envelope signing),
 * plus the raw DPoP + access-token verification rate without HTTP. Ratios are reported against
 * the plain hop (targets: gateway ≥ 0.5× its throughput, p99 ≤ 2× its p99).
 *
 * Every DPoP proof must carry a unique `jti`, so a POOL OF PROOFS IS SIGNED BEFORE the timed loop
 * (one per request, sized from the plain hop's rate); request i uses proof i. The system under
 * test (plain hop or gateway) runs in its own process, so it does not share an event loop
 * with the load generator and the upstream (both in the main thread, identical for every
 * scenario). All hops are plain HTTP on loopback so the figures isolate the gateway's own work
 * from TLS costs; one client (an undici Pool with 32 connections, closed loop) drives all three.
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { manualClock, sequentialIds } from '@stella/core';
import type { AuditSink, Logger } from '@stella/core';
import { createNonceIssuer, createStaticJwks } from '@stella/auth';
import { createMemoryKv } from '@stella/storage';
import { createAuthAuthenticator, createGatewayService } from '@stella/gateway';
import type { GatewayAuthenticator } from '@stella/gateway';
import { emit, log } from './lib/emit.ts';
import { benchDurationMs, benchWarmupMs, measureOps, round3 } from './lib/measure.ts';
import type { MeasureResult, Op } from './lib/measure.ts';

const BENCH = 'gateway';
const CONCURRENCY = 32;
const EXTERNAL = 'https://gw.bench.local';
const ISSUER = 'https://authority.bench.local';
const PATH = '/api/v1/signer/sign/dsse';
const BODY = '{"subject":[]}';
const NONCE_SECRET = new Uint8Array(32).fill(1);

interface SutData {
  readonly kind: 'hop' | 'gateway';
  readonly upstreamUrl: string;
  readonly nowMs: number;
  readonly authorityJwk: JsonWebKey;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function es256(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};
const noAudit: AuditSink = { append: () => Promise.resolve() };

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 10_000 }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function createBenchAuthenticator(data: SutData): {
  authenticator: GatewayAuthenticator;
  kv: ReturnType<typeof createMemoryKv>;
} {
  const clock = manualClock(data.nowMs); // frozen: proofs signed up front stay within ±30 s
  const kv = createMemoryKv({ clock, maxEntries: 5_000_000 });
  const kid = thumbprint(data.authorityJwk);
  const authenticator = createAuthAuthenticator({
    issuer: ISSUER,
    externalUrl: EXTERNAL,
    audiences: ['signer', 'attestor'],
    jwks: createStaticJwks({ keys: [{ ...data.authorityJwk, kid, alg: 'ES256', use: 'sig' }] }),
    kv,
    nonceIssuer: createNonceIssuer({ secret: NONCE_SECRET, clock }),
    clock,
    // Ed25519 envelope key: signing is several times cheaper than P-256 on the hot path.
    envelopeKey: generateKeyPairSync('ed25519').privateKey,
    envelopeKid: 'gw-bench',
  });
  return { authenticator, kv };
}

/** Worker side: start the system under test, report its URL, stop on 'close'. */
async function runSut(data: SutData): Promise<void> {
  let url: string;
  let server: Server;
  let close: () => Promise<void>;
  if (data.kind === 'hop') {
    const pool = new Pool(data.upstreamUrl, { connections: 64 });
    const hop = await listen((req, res) => {
      pool
        .request({
          method: req.method as 'POST',
          path: req.url ?? '/',
          headers: {
            'content-type': 'application/json',
            'content-length': String(req.headers['content-length'] ?? '0'),
          },
          body: req,
        })
        .then((up) => {
          res.writeHead(up.statusCode, {
            'content-type': String(up.headers['content-type'] ?? ''),
          });
          up.body.pipe(res);
        })
        .catch(() => res.writeHead(502).end());
    });
    url = hop.url;
    server = hop.server;
    close = async () => {
      await hop.close();
      await pool.close();
    };
  } else {
    const { authenticator, kv } = createBenchAuthenticator(data);
    const big = { limit: 1_000_000_000, windowMs: 60_000 };
    const u = { url: data.upstreamUrl };
    const gateway = await createGatewayService({
      externalUrl: EXTERNAL,
      allowedHosts: ['gw.bench.local', '127.0.0.1'],
      upstreams: { signer: u, attestor: u, authority: u },
      authenticator,
      kv,
      audit: noAudit,
      logger: silent,
      clock: manualClock(data.nowMs),
      ids: sequentialIds('bench'),
      limits: { perAddress: big, perClient: big, perTenant: big },
    });
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
    server = gateway.app.server;
    close = async () => {
      await gateway.close();
      await kv.close();
    };
  }
  // CPU accounting: the SUT's own CPU time per request it served, robust to a busy machine
  // (throughput ratios move with other load; CPU µs per request barely does).
  let served = 0;
  server.on('request', () => {
    served += 1;
  });
  const profiler = timedWindowProfiler(data.kind);
  process.on('message', (message) => {
    if (message === 'close') void close().then(() => process.disconnect());
    if (message === 'cpu') {
      // Snapshot first, then toggle the profiler, so its own start/stop cost stays outside.
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system, served });
      void profiler.toggle();
    }
  });
  process.send?.(url);
}

/**
 * `BENCH_CPU_PROF_DIR=<dir>`: the system under test writes `<kind>.cpuprofile` there, covering
 * ONLY the timed window (first to second CPU snapshot), so startup, module loading and JIT
 * warm-up do not drown the per-request costs. Read it with `bench/lib/cpuprofile-top.ts`.
 */
function timedWindowProfiler(kind: string): { toggle(): Promise<void> } {
  const dir = process.env['BENCH_CPU_PROF_DIR'];
  if (dir === undefined || dir === '') return { toggle: () => Promise.resolve() };
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err === null ? resolve(result) : reject(err))),
    );
  let running = false;
  return {
    async toggle() {
      if (!running) {
        running = true;
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 100 }); // µs; default 1000
        await post('Profiler.start');
        return;
      }
      running = false;
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      await writeFile(path.join(dir, `${kind}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

interface SutCpu {
  readonly cpuUs: number;
  readonly served: number;
}

interface Sut {
  readonly url: string;
  cpu(): Promise<SutCpu>;
  stop(): Promise<void>;
}

/** CPU time the SUT spent per request served between two snapshots (µs). */
function cpuPerRequest(a: SutCpu, b: SutCpu): number {
  const served = b.served - a.served;
  return served > 0 ? Math.round((b.cpuUs - a.cpuUs) / served) : Number.NaN;
}

/**
 * A closed-loop run against a SUT, with its CPU per request counted over the timed window only
 * (snapshot after measureOps' warm-up).
 */
async function measureSut(
  sut: Sut,
  op: Op,
  durationMs: number,
): Promise<{ result: MeasureResult; cpuUs: number }> {
  let before: SutCpu | undefined;
  const result = await measureOps(op, {
    durationMs,
    concurrency: CONCURRENCY,
    afterWarmup: async () => {
      before = await sut.cpu();
    },
  });
  const after = await sut.cpu();
  return { result, cpuUs: before === undefined ? Number.NaN : cpuPerRequest(before, after) };
}

function startSut(data: SutData): Promise<Sut> {
  // A child process (IPC channel) rather than a worker: Node 20 does not apply tsx's hooks to a
  // .ts worker entry, and a separate process also isolates the heap and the event loop.
  const child = fork(fileURLToPath(import.meta.url), ['--sut'], {
    // BENCH_SUT_NODE_FLAGS (space-separated, e.g. `--max-semi-space-size=16`) applies the same
    // V8/Node flags to both systems under test, to evaluate deployment settings.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env['BENCH_SUT_NODE_FLAGS'] ?? '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.send(data);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`system under test exited with ${code}`)));
    child.once('message', (url) =>
      resolve({
        url: String(url),
        cpu: () =>
          new Promise<SutCpu>((r) => {
            child.once('message', (m) => r(m as SutCpu));
            child.send('cpu');
          }),
        stop: async () => {
          child.removeAllListeners('exit');
          const exited = new Promise((r) => child.once('exit', r));
          child.send('close');
          await exited;
        },
      }),
    );
  });
}

function report(metric: string, r: MeasureResult, base?: MeasureResult, unit = 'req/s') {
  emit({
    bench: BENCH,
    metric,
    value: r.opsPerSec,
    unit,
    concurrency: CONCURRENCY,
    p50_ms: r.p50Ms,
    p99_ms: r.p99Ms,
    ops: r.ops,
    errors: r.errors,
    duration_ms: r.durationMs,
    ...(base === undefined
      ? {}
      : {
          ratio_to_raw: base.opsPerSec > 0 ? round3(r.opsPerSec / base.opsPerSec) : null,
          p99_ratio_to_raw: base.p99Ms > 0 ? round3(r.p99Ms / base.p99Ms) : null,
        }),
  });
}

async function main() {
  const durationMs = benchDurationMs();
  const nowMs = Date.now();
  const now = Math.floor(nowMs / 1000);

  // Credentials: Authority key + JWKS, client DPoP key, one access token (reused, as clients do).
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const authorityJwk = authority.publicKey.export({ format: 'jwk' });
  const kid = thumbprint(authorityJwk);
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cJwk = client.publicKey.export({ format: 'jwk' });
  const proofJwk = { kty: cJwk.kty, crv: cJwk.crv, x: cJwk.x, y: cJwk.y } as JsonWebKey;
  const token = es256(
    authority.privateKey,
    { alg: 'ES256', typ: 'at+jwt', kid },
    {
      iss: ISSUER,
      sub: 'bench',
      client_id: 'bench',
      aud: 'signer',
      iat: now,
      nbf: now,
      exp: now + 300,
      jti: randomUUID(),
      scope: 'signer:sign',
      tid: 'bench',
      cnf: { jkt: thumbprint(proofJwk) },
    },
  );
  const ath = createHash('sha256').update(token).digest('base64url');
  const nonce = createNonceIssuer({ secret: NONCE_SECRET, clock: manualClock(nowMs) }).current();
  const proof = () =>
    es256(
      client.privateKey,
      { alg: 'ES256', typ: 'dpop+jwt', jwk: proofJwk },
      {
        jti: randomUUID(),
        htm: 'POST',
        htu: `${EXTERNAL}${PATH}`,
        iat: now,
        ath,
        nonce,
      },
    );

  const upstream = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  const driver = (origin: string, extra: (i: number) => Record<string, string> = () => ({})) => {
    const pool = new Pool(origin, { connections: CONCURRENCY });
    // Own request counter (not measureOps' index): warm-up and timed run never reuse a proof.
    let sent = 0;
    const op = async () => {
      const res = await pool.request({
        method: 'POST',
        path: PATH,
        headers: { 'content-type': 'application/json', ...extra(sent++) },
        body: BODY,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    };
    return { op, close: () => pool.close() };
  };
  const sutData = { upstreamUrl: upstream.url, nowMs, authorityJwk };

  log(`${BENCH}: direct to upstream …`);
  const d = driver(upstream.url);
  const direct = await measureOps(d.op, { durationMs, concurrency: CONCURRENCY });
  await d.close();

  log(`${BENCH}: plain undici proxy hop (own process) …`);
  const hopSut = await startSut({ kind: 'hop', ...sutData });
  const h = driver(hopSut.url);
  const { result: hop, cpuUs: hopCpuUs } = await measureSut(hopSut, h.op, durationMs);
  await h.close();
  await hopSut.stop();

  // Proof pool: sized from the plain hop's rate (the gateway cannot be faster) over warm-up and
  // timed window.
  const seconds = (benchWarmupMs() + durationMs) / 1000;
  const poolSize = Math.ceil(hop.opsPerSec * (seconds + 1) * 1.2) + 10_000;
  log(`${BENCH}: signing ${poolSize} DPoP proofs before the timed loop …`);
  const proofs = Array.from({ length: poolSize }, proof);
  const gwSut = await startSut({ kind: 'gateway', ...sutData });
  const g = driver(gwSut.url, (i) => {
    const p = proofs[i];
    if (p === undefined) throw new Error('proof pool exhausted');
    return { authorization: `DPoP ${token}`, dpop: p };
  });
  log(`${BENCH}: through the gateway, full DPoP verification (own process) …`);
  const { result: through, cpuUs: gwCpuUs } = await measureSut(gwSut, g.op, durationMs);
  await g.close();
  await gwSut.stop();

  log(`${BENCH}: raw DPoP + access-token verification (no HTTP) …`);
  const { authenticator, kv } = createBenchAuthenticator({ kind: 'gateway', ...sutData });
  // In-process verification outruns the hop: up to ~25k/s over a 1 s warm-up + the window.
  const verifyWarmupMs = Math.min(benchWarmupMs(), 1000);
  const rawProofs = Array.from(
    { length: Math.ceil(25_000 * ((verifyWarmupMs + durationMs) / 1000)) },
    proof,
  );
  const verifyOnly = await measureOps(
    async (i) => {
      const p = rawProofs[i];
      if (p === undefined) throw new Error('proof pool exhausted');
      await authenticator.authenticate({
        audience: 'signer',
        nonceRequired: true,
        method: 'POST',
        url: PATH,
        headers: { authorization: [`DPoP ${token}`], dpop: [p] },
        peerCertificate: undefined,
      });
    },
    { durationMs, concurrency: CONCURRENCY, warmupMs: verifyWarmupMs },
  );
  await kv.close();

  report('direct_upstream', direct);
  report('plain_proxy_hop', hop, direct);
  report('gateway_dpop', through, hop);
  report('dpop_token_verify', verifyOnly, undefined, 'verifications/s');
  // Machine-load-independent view: CPU the proxying process spends per request.
  emit({ bench: BENCH, metric: 'plain_proxy_hop_cpu', value: hopCpuUs, unit: 'cpu-µs/req' });
  emit({
    bench: BENCH,
    metric: 'gateway_dpop_cpu',
    value: gwCpuUs,
    unit: 'cpu-µs/req',
    ratio_to_hop: round3(gwCpuUs / hopCpuUs),
  });
  // The honest efficiency figure on a small machine where the load generator shares the CPU:
  // hop CPU/request ÷ gateway CPU/request (1 = the gateway costs no more than a bare hop),
  // next to the throughput and p99 ratios it is meant to explain.
  const throughputRatio = round3(through.opsPerSec / hop.opsPerSec);
  const p99Ratio = round3(through.p99Ms / hop.p99Ms);
  const efficiency = round3(hopCpuUs / gwCpuUs);
  emit({
    bench: BENCH,
    metric: 'gateway_cpu_efficiency',
    value: efficiency,
    unit: 'hop-cpu/gateway-cpu',
    ratio_to_raw: throughputRatio,
    p99_ratio_to_raw: p99Ratio,
  });
  const ok = through.opsPerSec >= 0.5 * hop.opsPerSec && through.p99Ms <= 2 * hop.p99Ms;
  log(
    `${BENCH}: gateway vs plain hop: throughput ${throughputRatio}×, p99 ${p99Ratio}× → targets ${ok ? 'met' : 'NOT met'}; CPU/request ${gwCpuUs} µs vs ${hopCpuUs} µs → efficiency ${efficiency}`,
  );
  await upstream.close();
}

if (process.argv.includes('--sut')) {
  process.once('message', (data) => void runSut(data as SutData));
} else {
  await main();
}
