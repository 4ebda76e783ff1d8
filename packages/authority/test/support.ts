/**
 * Test harness: a real Authority on embedded PGlite (`memory://`) and the in-memory KV from
 * `@stella/storage`, an in-memory audit sink implementing the port, a manual clock, and helpers
 * that build client assertions and DPoP proofs with `jose` (an independent implementation).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import type { AuditEvent, AuditSink, KeyValueStore, Logger, SqlDatabase } from '@stella/core';
import { createIdGenerator, manualClock } from '@stella/core';
import type { ManualClock } from '@stella/core';
import { createMemoryKv, createPgliteDatabase } from '@stella/storage';
import { authorityMigrations, createAuthorityService } from '@stella/authority';
import type {
  AuthorityConfig,
  AuthorityHttpsOptions,
  AuthorityService,
  NewClient,
} from '@stella/authority';

export const ISSUER = 'https://authority.test';
export const TOKEN_URL = `${ISSUER}/token`;
/** 2025-01-01T00:00:00Z — every test runs at a fixed instant. */
export const T0 = 1_735_689_600_000;

export interface MemoryAudit extends AuditSink {
  readonly events: AuditEvent[];
}

/** Records every event in memory and, when given, also appends it to `forward` (e.g. SQL). */
export function createMemoryAudit(forward?: AuditSink): MemoryAudit {
  const events: AuditEvent[] = [];
  return {
    events,
    async append(event) {
      events.push(structuredClone(event));
      if (forward !== undefined) await forward.append(event);
    },
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export interface Harness {
  service: AuthorityService;
  clock: ManualClock;
  audit: MemoryAudit;
  db: SqlDatabase;
  kv: KeyValueStore;
  keyDir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<AuthorityConfig>;
  db?: SqlDatabase;
  kv?: KeyValueStore;
  signingKey?: KeyObject;
  nonceSecret?: Uint8Array;
  clock?: ManualClock;
  migrate?: boolean;
  https?: AuthorityHttpsOptions;
  /** A second sink every event also goes to (the SQL chain for `/internal/audit`). */
  forwardAudit?: AuditSink;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? manualClock(T0);
  const db = options.db ?? createPgliteDatabase({ dataDir: 'memory://' });
  if (options.migrate !== false) await db.migrate(authorityMigrations);
  const kv = options.kv ?? createMemoryKv({ clock });
  const audit = createMemoryAudit(options.forwardAudit);
  const keyDir = mkdtempSync(path.join(tmpdir(), 'authority-keys-'));
  const service = await createAuthorityService({
    config: { issuer: ISSUER, ...options.config },
    db,
    kv,
    audit,
    logger: silentLogger,
    clock,
    ids: createIdGenerator(clock),
    signingKey: options.signingKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    signingKeyRef: 'env:TEST_AUTHORITY_KEY',
    nonceSecret: options.nonceSecret ?? randomBytes(32),
    keyDirectory: keyDir,
    ...(options.https === undefined ? {} : { https: options.https }),
  });
  return {
    service,
    clock,
    audit,
    db,
    kv,
    keyDir,
    async close() {
      await service.close();
      if (options.db === undefined) await db.close();
    },
  };
}

export interface TestClient {
  id: string;
  privateKey: KeyObject;
  jwk: JWK;
}

export async function newKeyClient(id: string): Promise<TestClient> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  return { id, privateKey, jwk };
}

export function keyClientRegistration(
  client: TestClient,
  overrides: Partial<NewClient> = {},
): NewClient {
  return {
    id: client.id,
    tenants: ['acme'],
    allowedScopes: ['attestor:read', 'evidence:read', 'signer:sign'],
    allowedAudiences: ['gateway', 'signer', 'attestor'],
    authMethod: 'private_key_jwt',
    jwks: { keys: [client.jwk as Record<string, unknown>] },
    ...overrides,
  };
}

let counter = 0;
const unique = () =>
  `${Date.now().toString(36)}-${(counter += 1)}-${randomBytes(6).toString('hex')}`;

export async function clientAssertion(
  client: TestClient,
  clock: ManualClock,
  overrides: { aud?: string; exp?: number; jti?: string; iss?: string } = {},
): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ jti: overrides.jti ?? unique() })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(overrides.iss ?? client.id)
    .setSubject(client.id)
    .setAudience(overrides.aud ?? ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(overrides.exp ?? now + 60)
    .sign(client.privateKey);
}

export interface DpopKey {
  privateKey: KeyObject;
  jwk: JWK;
  jkt: string;
}

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export async function dpopProof(
  key: DpopKey,
  clock: ManualClock,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    jti: unique(),
    htm: 'POST',
    htu: TOKEN_URL,
    iat: Math.floor(clock.now() / 1000),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header } as never)
    .sign(key.privateKey);
}

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export const FORM = 'application/x-www-form-urlencoded';

export async function tokenRequestParams(
  client: TestClient,
  clock: ManualClock,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(client, clock),
    audience: 'gateway',
    scope: 'evidence:read',
    ...extra,
  };
}

export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export function decodeHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
