import { createWriteStream } from 'node:fs';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { Agent, request } from 'undici';
import type { FastifyInstance } from 'fastify';
import {
  createIdGenerator,
  formatSchemaIssue,
  isStellaError,
  systemClock,
  validateSchema,
  type Logger,
} from '@stella/core';
import { createSecretResolver, vaultSecretProvider, createLogger } from '@stella/runtime';
import { createSqlAuditSink } from '@stella/storage';
import { baseSecretProviders } from '../client/platform-client.ts';
import {
  createAccessTokenVerifier,
  createNonceIssuer,
  createRemoteJwks,
  createReplayCache,
  createRequestVerifier,
  createRevocationPoller,
  type FetchLike,
  type RevocationPoller,
} from '@stella/auth';
import { createAuthorityService } from '@stella/authority';
import { composeGatewayService } from '@stella/gateway';
import {
  composeSigner,
  loadKeyEntries,
  parseKeyState,
  publishSignerKeys,
  signerConfigSchema,
} from '@stella/signer';
import {
  composeAttestor,
  attestorDefaults,
  buildTrustFile,
  createLogSigner,
  parseSignerKeySet,
} from '@stella/attestor';
import { importPrivateKey } from '@stella/crypto';
import { bootstrapDataDir, type PlatformFiles } from './bootstrap.ts';
import { loadPlatformConfig, type PlatformConfig } from './platform-config.ts';
import { openPlatformStorage, type PlatformStorage } from './storage.ts';
import { resolvePort } from './free-ports.ts';
import { ensureSignerKeyState, loadEnvelopeKeys } from './service-keys.ts';
import { writePlatformState, stateFile, type PlatformState } from '../platform-state.ts';
import { UsageError } from '../cli-env.ts';

export interface StartPlatformOptions {
  dataDir: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /** Human progress lines (first-run work, startup steps). */
  progress: (line: string) => void;
}

export interface ReadyLine {
  event: 'ready';
  gateway: string;
  issuer: string;
  caFile: string;
  trustFile: string;
  dataDir: string;
  tenant: string;
  profile: string;
  internal: { authority: string; signer: string; attestor: string };
}

export interface PlatformHandle {
  ready: ReadyLine;
  /** Human-readable summary: what runs where and the next commands to try. */
  describe(): string[];
  stop(): Promise<void>;
}

const DEFAULT_TENANT = 'default';
const DEMO_SCOPES = [
  'evidence:read',
  'evidence:write',
  'signer:sign',
  'attestor:read',
  'attestor:verify',
];

/** A `FetchLike` over mTLS with a service's own identity (JWKS, revocation bundle). */
function mtlsFetch(agent: Agent): FetchLike {
  return async (url, init) => {
    const res = await request(url, {
      dispatcher: agent,
      signal: init.signal,
      headers: init.headers,
    });
    return { status: res.statusCode, text: () => res.body.text() };
  };
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  return `https://${host}:${port}`;
}

/**
 * The composition root of the embedded platform: config → data dir (PKI, keys) → storage →
 * Authority → attestor → signer → gateway, each on its own listener. Internal listeners bind
 * loopback and require a client certificate from the platform CA.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<PlatformHandle> {
  const config: PlatformConfig = await loadPlatformConfig(options.configFile, options.env);
  const progress = options.progress;
  const files = await bootstrapDataDir(options.dataDir, config.trustDomain, progress);
  const { layout } = files;

  const logStream = createWriteStream(path.join(layout.logs, 'stella.log'), {
    flags: 'a',
    mode: 0o600,
  });
  const logger = createLogger({ level: config.logLevel as 'info', destination: logStream });
  const clock = systemClock;
  const ids = createIdGenerator(clock);
  const secrets = await createPlatformSecrets(config, options.env);
  // Configured references replace the generated key files (never the other way round).
  const keyRefs = {
    authority: config.secrets.authoritySigningKey ?? files.keyRefs.authority,
    gatewayEnvelope: config.secrets.gatewayEnvelopeKey ?? files.keyRefs.gatewayEnvelope,
    signer: config.secrets.signerKey ?? files.keyRefs.signer,
    log: config.secrets.logKey ?? files.keyRefs.log,
    nonceSecret: config.secrets.dpopNonceSecret ?? files.keyRefs.nonceSecret,
  };
  const text = async (ref: string) => (await secrets.resolveSecret(ref)).revealText();

  const loopback = '127.0.0.1';
  const ports = {
    gateway: await resolvePort(config.gatewayPort, config.gatewayHost),
    authority: await resolvePort(config.authorityPort, loopback),
    signer: await resolvePort(config.signerPort, loopback),
    attestor: await resolvePort(config.attestorPort, loopback),
  };
  const externalUrl = config.externalUrl ?? `https://${config.gatewayHost}:${ports.gateway}`;
  const internal = {
    authority: `https://${loopback}:${ports.authority}`,
    signer: `https://${loopback}:${ports.signer}`,
    attestor: `https://${loopback}:${ports.attestor}`,
  };

  progress(`opening storage${config.databaseUrl === undefined ? ' (embedded PGlite)' : ''}`);
  const storage: PlatformStorage = await openPlatformStorage(layout, {
    databaseUrl: config.databaseUrl,
    valkeyUrl: config.valkeyUrl,
    embeddedThread: config.embeddedDatabaseThread === 'worker' ? 'worker' : 'main',
    clock,
  });
  const audit = createSqlAuditSink({ db: storage.db, clock });
  const caPem = await readFile(files.caFile, 'utf8');
  const identity = async (service: keyof PlatformFiles['identities']) => ({
    key: await readFile(files.identities[service].keyFile, 'utf8'),
    cert: await readFile(files.identities[service].certFile, 'utf8'),
  });
  // Internal listeners: mTLS required, platform CA only.
  const internalTls = async (service: keyof PlatformFiles['identities']) => ({
    ...(await identity(service)),
    ca: caPem,
    requestCert: true as const,
    rejectUnauthorized: true,
  });
  const fileRef = (file: string) => `file:${file}`;
  const idRefs = (service: keyof PlatformFiles['identities']) => ({
    key: fileRef(files.identities[service].keyFile),
    cert: fileRef(files.identities[service].certFile),
    ca: fileRef(files.caFile),
  });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    closers.length = 0;
  };
  closers.push(() => storage.close());
  try {
    // ---------------------------------------------------------------- Authority
    progress('starting the Authority');
    const signingKey = createPrivateKey(await text(keyRefs.authority));
    const nonceSecret = (await secrets.resolveSecret(keyRefs.nonceSecret)).reveal();
    const authority = await createAuthorityService({
      config: {
        issuer: externalUrl,
        trustDomain: config.trustDomain,
        ...(config.authority.accessTokenLifetimeSeconds === undefined
          ? {}
          : { accessTokenLifetimeSeconds: config.authority.accessTokenLifetimeSeconds }),
        ...(config.authority.tokenRequestsPerMinute === undefined
          ? {}
          : {
              tokenClientLimit: {
                limit: config.authority.tokenRequestsPerMinute,
                windowMs: 60_000,
              },
            }),
        ...(config.authority.adminRequestsPerMinute === undefined
          ? {}
          : {
              adminClientLimit: {
                limit: config.authority.adminRequestsPerMinute,
                windowMs: 60_000,
              },
            }),
      },
      db: storage.db,
      kv: storage.kv,
      audit,
      logger: logger.child({ service: 'authority' }),
      clock,
      ids,
      signingKey,
      signingKeyRef: keyRefs.authority,
      nonceSecret,
      keyDirectory: layout.keys,
      https: await internalTls('authority'),
    });
    closers.push(() => authority.close());
    await provisionDefaults(authority.admin, files, caPem);
    await listen(authority.app, loopback, ports.authority);

    // Shared verification pieces (each service fetches JWKS/revocations with its own identity).
    const nonceIssuer = createNonceIssuer({ secret: nonceSecret, clock });
    const envelope = await loadEnvelopeKeys(secrets, keyRefs.gatewayEnvelope);
    const verificationFor = async (service: 'signer' | 'attestor') => {
      const agent = new Agent({ connect: { ...(await identity(service)), ca: caPem } });
      const fetch = mtlsFetch(agent);
      const jwks = createRemoteJwks({ url: `${internal.authority}/jwks`, fetch, clock });
      const revocations: RevocationPoller = createRevocationPoller({
        url: `${internal.authority}/revocations`,
        fetch,
        jwks,
        issuer: externalUrl,
        clock,
      });
      revocations.start();
      closers.push(async () => {
        revocations.stop();
        await agent.close();
      });
      return createAccessTokenVerifier({
        issuer: externalUrl,
        audience: service,
        jwks,
        clock,
        revocations,
      });
    };

    // ---------------------------------------------------------------- attestor
    progress('starting the attestor');
    const attestor = await composeAttestor(
      {
        trustDomain: config.trustDomain,
        externalUrl,
        logKey: keyRefs.log,
        signerKeysUrl: `${internal.signer}/api/v1/signer/keys`,
        tls: idRefs('attestor'),
      },
      {
        db: storage.db,
        objects: storage.objects,
        kv: storage.kv,
        audit,
        logger: logger.child({ service: 'attestor' }),
        clock,
        ids,
        secrets,
        accessTokens: await verificationFor('attestor'),
        envelopeKeys: envelope.verification,
        nonceIssuer,
        https: await internalTls('attestor'),
      },
    );
    closers.push(() => attestor.close());
    await listen(attestor.app, loopback, ports.attestor);

    // ---------------------------------------------------------------- signer
    progress('starting the signer');
    const signerKeysFile = path.join(layout.keys, 'signer-keys.json');
    await ensureSignerKeyState(signerKeysFile, secrets, keyRefs.signer, new Date(clock.now()));
    const signerConfig = validateSchema(signerConfigSchema, {
      trustDomain: config.trustDomain,
      attestorUrl: internal.attestor,
      authorityTokenUrl: `${internal.authority}/token`,
      keyStatePath: signerKeysFile,
      tls: idRefs('signer'),
    });
    if (!signerConfig.ok) {
      throw new TypeError(
        `signer config: ${signerConfig.issues.map(formatSchemaIssue).join('; ')}`,
      );
    }
    const signer = await composeSigner(signerConfig.value, {
      kv: storage.kv,
      audit,
      logger: logger.child({ service: 'signer' }),
      clock,
      ids,
      secrets,
      verifier: createRequestVerifier({
        audience: 'signer',
        externalUrl,
        accessTokens: await verificationFor('signer'),
        replayCache: createReplayCache(storage.kv, {
          prefix: 'stella:signer:dpop:',
          windowMs: 120_000,
        }),
        nonceIssuer,
        requireNonce: true,
        clock,
        mode: 'behind-gateway',
        gateway: {
          identities: [files.identities.gateway.uri],
          envelopeKeys: envelope.verification,
        },
      }),
      nonceIssuer,
      https: await internalTls('signer'),
    });
    closers.push(() => signer.close());
    await listen(signer.app, loopback, ports.signer);

    // ---------------------------------------------------------------- gateway
    progress('starting the gateway');
    const gateway = await composeGatewayService(
      {
        externalUrl,
        issuer: externalUrl,
        jwksUrl: `${internal.authority}/jwks`,
        revocationsUrl: `${internal.authority}/revocations`,
        tls: {
          keyRef: fileRef(files.identities.gateway.keyFile),
          certRef: fileRef(files.identities.gateway.certFile),
          clientCaRef: fileRef(files.caFile),
        },
        identity: {
          keyRef: fileRef(files.identities.gateway.keyFile),
          certRef: fileRef(files.identities.gateway.certFile),
          caRef: fileRef(files.caFile),
        },
        envelope: { keyRef: keyRefs.gatewayEnvelope, kid: envelope.kid },
        nonceSecretRef: keyRefs.nonceSecret,
        trustedProxies: [...config.trustedProxies],
        ...(config.gatewayMetricsPort === undefined
          ? {}
          : { metricsPort: config.gatewayMetricsPort }),
        upstreams: {
          authority: { url: internal.authority, servername: 'localhost' },
          signer: { url: internal.signer, servername: 'localhost' },
          attestor: { url: internal.attestor, servername: 'localhost' },
        },
      },
      { secrets, audit, logger: logger.child({ service: 'gateway' }), clock, ids, kv: storage.kv },
    );
    closers.push(() => gateway.close());
    await listen(gateway.app, config.gatewayHost, ports.gateway);

    // ---------------------------------------------------------------- trust file, profile, state
    const trustFile = path.join(layout.root, 'trust.json');
    await writeTrustFile(trustFile, keyRefs.log, signerKeysFile, secrets, [DEFAULT_TENANT]);
    await writeFile(
      files.demo.profileFile,
      `${JSON.stringify(
        {
          issuer: externalUrl,
          gateway: externalUrl,
          clientId: files.demo.clientId,
          tenant: DEFAULT_TENANT,
          authMethod: 'private_key_jwt',
          privateKey: fileRef(files.demo.privateJwkFile),
          caFile: files.caFile,
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );
    const ready: ReadyLine = {
      event: 'ready',
      gateway: externalUrl,
      issuer: externalUrl,
      caFile: files.caFile,
      trustFile,
      dataDir: layout.root,
      tenant: DEFAULT_TENANT,
      profile: files.demo.profileFile,
      internal,
    };
    const state: PlatformState = {
      pid: process.pid,
      gateway: externalUrl,
      issuer: externalUrl,
      internal,
      caFile: files.caFile,
      trustFile,
      trustDomain: config.trustDomain,
      tenant: DEFAULT_TENANT,
      profile: files.demo.profileFile,
      admin: files.admin,
      startedAt: new Date(clock.now()).toISOString(),
    };
    await writePlatformState(layout.root, state);
    logger.info({ event: 'ready', gateway: externalUrl, internal }, 'platform ready');

    return {
      ready,
      describe: () => describePlatform(ready, storage, files, layout.logs),
      async stop() {
        await rm(stateFile(layout.root), { force: true });
        await closeAll();
        await new Promise<void>((resolve) => logStream.end(resolve));
      },
    };
  } catch (error) {
    await closeAll();
    await new Promise<void>((resolve) => logStream.end(resolve));
    throw error;
  }
}

interface AdminSurface {
  addTenant(id: string): Promise<void>;
  addClient(
    client: Parameters<Awaited<ReturnType<typeof createAuthorityService>>['admin']['addClient']>[0],
  ): Promise<void>;
}

/** Secret providers, registered explicitly: file, env, Docker, Kubernetes, and Vault when configured. */
async function createPlatformSecrets(config: PlatformConfig, env: NodeJS.ProcessEnv) {
  const base = baseSecretProviders(env);
  const vault = config.vault;
  if (vault === undefined) return createSecretResolver({ providers: base });
  if ((vault.tokenRef === undefined) === (vault.kubernetesRole === undefined)) {
    throw new UsageError('vault: set exactly one of tokenRef or kubernetesRole');
  }
  // Vault's own CA comes through the providers that need no Vault.
  const bootstrap = createSecretResolver({ providers: base });
  const ca =
    vault.caRef === undefined ? undefined : (await bootstrap.resolveSecret(vault.caRef)).reveal();
  return createSecretResolver({
    providers: [
      ...base,
      vaultSecretProvider({
        address: vault.address,
        auth:
          vault.tokenRef !== undefined
            ? { method: 'token', tokenRef: vault.tokenRef }
            : { method: 'kubernetes', role: vault.kubernetesRole ?? '' },
        ...(ca === undefined ? {} : { ca }),
        ...(vault.namespace === undefined ? {} : { namespace: vault.namespace }),
      }),
    ],
  });
}

/** The `default` tenant, the admin credential's client, the signer's client and the demo client. */
async function provisionDefaults(
  admin: AdminSurface,
  files: PlatformFiles,
  caPem: string,
): Promise<void> {
  // Later runs reuse what the first run provisioned: an existing tenant or client is kept as is.
  const keepExisting = (error: unknown) => {
    if (!(isStellaError(error) && error.code === 'conflict')) throw error;
  };
  await admin.addTenant(DEFAULT_TENANT).catch(keepExisting);
  await admin
    .addClient({
      id: files.admin.clientId,
      tenants: [],
      allowedScopes: ['authority:admin'],
      allowedAudiences: ['authority'],
      authMethod: 'tls_client_auth',
      trustRoots: [caPem],
      dpopBoundAccessTokens: false,
    })
    .catch(keepExisting);
  await admin
    .addClient({
      id: 'signer',
      tenants: [DEFAULT_TENANT],
      allowedScopes: ['attestor:write', 'evidence:read'],
      allowedAudiences: ['attestor'],
      authMethod: 'tls_client_auth',
      trustRoots: [caPem],
      dpopBoundAccessTokens: false,
      serviceIdentity: 'signer',
    })
    .catch(keepExisting);
  await admin
    .addClient({
      id: files.demo.clientId,
      tenants: [DEFAULT_TENANT],
      allowedScopes: DEMO_SCOPES,
      allowedAudiences: ['signer', 'attestor'],
      authMethod: 'private_key_jwt',
      jwks: files.demo.publicJwks as { keys: Record<string, unknown>[] },
      dpopBoundAccessTokens: true,
    })
    .catch(keepExisting);
}

async function writeTrustFile(
  file: string,
  logKeyRef: string,
  signerKeysFile: string,
  secrets: ReturnType<typeof createSecretResolver>,
  tenants: string[],
): Promise<void> {
  const state = parseKeyState(await readFile(signerKeysFile, 'utf8'));
  // The same key set the signer publishes at GET /api/v1/signer/keys, read the way the
  // attestor reads it: one conversion, not a second copy of it.
  const entries = await loadKeyEntries(state, async (ref) =>
    (await secrets.resolveSecret(ref)).reveal(),
  );
  const signerKeys = parseSignerKeySet(publishSignerKeys(entries));
  const logSigner = createLogSigner({
    logPrefix: attestorDefaults.logPrefix,
    privateKey: importPrivateKey((await secrets.resolveSecret(logKeyRef)).reveal()),
  });
  const trust = buildTrustFile({
    signerKeys,
    logs: tenants.map((tenant) => ({
      tenant,
      origin: logSigner.origin(tenant),
      vkey: logSigner.vkey(tenant),
    })),
  });
  await writeFile(file, `${JSON.stringify(trust, null, 2)}\n`, { mode: 0o644 });
}

function describePlatform(
  ready: ReadyLine,
  storage: PlatformStorage,
  files: PlatformFiles,
  logs: string,
): string[] {
  return [
    'StellaOps security boundary is up.',
    '',
    `  gateway (public)     ${ready.gateway}`,
    `  authority (mTLS)     ${ready.internal.authority}`,
    `  signer (mTLS)        ${ready.internal.signer}`,
    `  attestor (mTLS)      ${ready.internal.attestor}`,
    `  database             ${storage.describe.database}`,
    `  state (KV)           ${storage.describe.kv}`,
    `  evidence objects     ${storage.describe.objects}`,
    `  logs                 ${path.join(logs, 'stella.log')}`,
    '',
    `  trust this CA:       ${ready.caFile}`,
    `  offline trust file:  ${ready.trustFile}`,
    `  demo client profile: ${ready.profile} (tenant "${ready.tenant}")`,
    `  service identities:  spiffe://${files.trustDomain}/svc/{gateway,authority,signer,attestor}`,
    '',
    'Next, in another terminal:',
    `  npm run stella -- token --profile ${ready.profile} --audience attestor --scope "evidence:write"`,
    `  npm run stella -- sign README.md --predicate-type https://slsa.dev/provenance/v1 -o README.bundle.json`,
    `  npm run stella -- verify README.md --bundle README.bundle.json --trust ${ready.trustFile}`,
    '',
    'Stop with Ctrl-C.',
  ];
}

export type { Logger };
