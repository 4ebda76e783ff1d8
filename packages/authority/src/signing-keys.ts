/**
 * Access-token signing keys (PLATFORM.md §2 "Keys"). The database holds only metadata — kid (the
 * RFC 7638 thumbprint), alg, public JWK, state, timestamps and a SECRET REFERENCE to the private
 * key; the private key itself comes from the secrets provider on every replica.
 *
 * Rotation (no restart, no downtime): a new ES256 key is generated, written as a 0600 PKCS#8 PEM
 * into the configured key directory and recorded with `secret_ref = file:<path>`; it becomes the
 * active key and the previous one turns `retired` with `retire_after = now + max token lifetime +
 * clock skew`, staying in JWKS until then so tokens it signed keep verifying. Replicas pick the new
 * key up within `keyRefreshMs`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { Clock, SqlDatabase } from '@stella/core';
import { authorityError } from './errors.ts';
import type { SigningAlgorithm, SigningKey } from './compact-jws.ts';

export interface SigningKeyMetadata {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: 'active' | 'retired';
  readonly createdAt: string;
  readonly activatedAt: string;
  readonly retireAfter: string | undefined;
}

interface KeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: Record<string, unknown>;
  secret_ref: string;
  state: 'active' | 'retired';
  created_at: Date | string;
  activated_at: Date | string;
  retire_after: Date | string | null;
}

export interface SigningKeyStoreOptions {
  readonly db: SqlDatabase;
  readonly clock: Clock;
  /** Seconds a retired key stays in JWKS: max token lifetime + clock skew. */
  readonly retireGraceSeconds: number;
  readonly refreshMs: number;
  /** Where rotation writes new private keys (0600 PEM files); rotation refuses without it. */
  readonly keyDirectory: string | undefined;
  /** Resolves a `secret_ref` to the private key (compose wires the runtime secrets provider). */
  readonly resolveKeyRef: (ref: string) => Promise<KeyObject>;
}

function algOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new TypeError('signing keys must be P-256 (ES256) or Ed25519 (EdDSA)');
}

async function publicJwkOf(privateKey: KeyObject, alg: SigningAlgorithm) {
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toMetadata(row: KeyRow): SigningKeyMetadata {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    createdAt: iso(row.created_at),
    activatedAt: iso(row.activated_at),
    retireAfter: row.retire_after === null ? undefined : iso(row.retire_after),
  };
}

export function createSigningKeyStore(options: SigningKeyStoreOptions) {
  const { db, clock } = options;
  let cache: { at: number; rows: KeyRow[]; active: SigningKey } | undefined;
  const privateKeys = new Map<string, KeyObject>();

  async function load(): Promise<NonNullable<typeof cache>> {
    const rows = (
      await db.withoutTenant((tx) =>
        tx.query<KeyRow>(
          `SELECT kid, alg, public_jwk, secret_ref, state, created_at, activated_at, retire_after
           FROM authority_signing_keys ORDER BY (state = 'active') DESC, activated_at DESC, kid`,
        ),
      )
    ).rows;
    const activeRow = rows.find((r) => r.state === 'active');
    if (activeRow === undefined) throw authorityError('server_error', { detail: 'no active key' });
    let privateKey = privateKeys.get(activeRow.kid);
    if (privateKey === undefined) {
      privateKey = await options.resolveKeyRef(activeRow.secret_ref);
      // The referenced key must be the one the metadata describes (fail closed on a swapped file).
      if ((await publicJwkOf(privateKey, activeRow.alg)).kid !== activeRow.kid) {
        throw authorityError('server_error', { detail: `key ref does not match ${activeRow.kid}` });
      }
      privateKeys.set(activeRow.kid, privateKey);
    }
    cache = {
      at: clock.now(),
      rows,
      active: { kid: activeRow.kid, alg: activeRow.alg, privateKey },
    };
    return cache;
  }

  async function current() {
    if (cache === undefined || clock.now() - cache.at >= options.refreshMs) return load();
    return cache;
  }

  async function insertKey(privateKey: KeyObject, secretRef: string, retireOthers: boolean) {
    const alg = algOf(privateKey);
    const { kid, jwk } = await publicJwkOf(privateKey, alg);
    const now = new Date(clock.now());
    const retireAfter = new Date(clock.now() + options.retireGraceSeconds * 1000);
    await db.withoutTenant(async (tx) => {
      if (retireOthers) {
        await tx.query(
          `UPDATE authority_signing_keys SET state = 'retired', retire_after = $1
           WHERE state = 'active'`,
          [retireAfter.toISOString()],
        );
      }
      await tx.query(
        `INSERT INTO authority_signing_keys
           (kid, alg, public_jwk, secret_ref, state, created_at, activated_at)
         VALUES ($1, $2, $3, $4, 'active', $5, $5)`,
        [kid, alg, JSON.stringify(jwk), secretRef, now.toISOString()],
      );
    });
    privateKeys.set(kid, privateKey);
    cache = undefined;
    return kid;
  }

  return {
    /**
     * Registers the configured key as active when the database has no active key yet (first
     * start). Later starts keep whatever rotation made active.
     */
    async ensureInitialKey(privateKey: KeyObject, secretRef: string): Promise<void> {
      const alg = algOf(privateKey);
      const { kid } = await publicJwkOf(privateKey, alg);
      privateKeys.set(kid, privateKey);
      const existing = await db.withoutTenant((tx) =>
        tx.query(`SELECT 1 FROM authority_signing_keys WHERE state = 'active'`),
      );
      if (existing.rows.length === 0) await insertKey(privateKey, secretRef, false);
    },
    async activeKey(): Promise<SigningKey> {
      return (await current()).active;
    },
    /** RFC 7517 JWK Set: the active key plus retired keys still inside their grace period. */
    async publicJwks(): Promise<{ keys: Record<string, unknown>[] }> {
      const { rows } = await current();
      const now = clock.now();
      const keys = rows
        .filter(
          (r) =>
            r.state === 'active' ||
            (r.retire_after !== null && Date.parse(iso(r.retire_after)) > now),
        )
        .map((r) => r.public_jwk);
      return { keys };
    },
    async list(): Promise<SigningKeyMetadata[]> {
      return (await load()).rows.map(toMetadata);
    },
    /** Generates, stores (0600 PEM) and activates a new ES256 key; returns its kid. */
    async rotate(): Promise<string> {
      if (options.keyDirectory === undefined) {
        throw authorityError('server_error', { detail: 'rotation needs a key directory' });
      }
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const { kid } = await publicJwkOf(privateKey, 'ES256');
      await mkdir(options.keyDirectory, { recursive: true, mode: 0o700 });
      const file = path.resolve(options.keyDirectory, `authority-${kid}.pem`);
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
      return insertKey(privateKey, `file:${file}`, true);
    },
  };
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;

/** Default `resolveKeyRef` for `file:` references (compose may pass the runtime provider). */
export async function resolveFileKeyRef(ref: string): Promise<KeyObject> {
  if (!ref.startsWith('file:'))
    throw authorityError('server_error', { detail: 'unsupported key ref' });
  return createPrivateKey(await readFile(ref.slice(5)));
}
