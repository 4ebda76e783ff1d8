/**
 * Real transparency-log material for the CLI's offline commands: a tenant log on embedded PGlite
 * driven by the attestor's own sequencer (batches, stored hashes, signed checkpoints), DSSE
 * envelopes over in-toto statements signed by a signer key, and the trust file that describes
 * both. Nothing here is a canned answer: every receipt and proof comes from the real log.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalize, createIdGenerator, sha256Hex, systemClock } from '@stella/core';
import type { SqlDatabase } from '@stella/core';
import {
  IN_TOTO_PAYLOAD_TYPE,
  buildStatement,
  createSigningKey,
  generateSigningKey,
  signEnvelope,
  statementBytes,
} from '@stella/crypto';
import type { DsseEnvelope, SigningKey } from '@stella/crypto';
import { createPgliteDatabase } from '@stella/storage';
import {
  attestorMigrations,
  buildTrustFile,
  createLogReader,
  createLogSigner,
  createSequencer,
} from '@stella/attestor';
import type {
  LogReader,
  LogSigner,
  PreparedEntry,
  Receipt,
  Sequencer,
  TrustFile,
  TrustedSignerKey,
} from '@stella/attestor';

export const PREDICATE = 'https://slsa.dev/provenance/v1';

export interface TestLog {
  readonly tenant: string;
  readonly signer: LogSigner;
  readonly reader: LogReader;
  readonly sequencer: Sequencer;
  /** Logs `count` synthetic entries (distinct envelopes) and returns their receipts. */
  append(count: number): Promise<Receipt[]>;
  close(): Promise<void>;
}

export async function openTestLog(tenant: string, logKey: KeyObject): Promise<TestLog> {
  const db: SqlDatabase = createPgliteDatabase({ dataDir: 'memory://' });
  await db.migrate(attestorMigrations);
  const signer = createLogSigner({ logPrefix: 'cli.test/tlog', privateKey: logKey });
  const sequencer = createSequencer({
    db,
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    signer,
    maxBatch: 64,
    batchDelayMs: 1,
  });
  const salt = randomBytes(6).toString('hex');
  let next = 0;
  return {
    tenant,
    signer,
    reader: createLogReader({ db, signer }),
    sequencer,
    append: (count) =>
      Promise.all(
        Array.from({ length: count }, () => {
          const i = (next += 1);
          const envelope = Buffer.from(JSON.stringify({ synthetic: salt, i }));
          return sequencer.submit(tenant, {
            envelopeSha256: sha256Hex(envelope),
            envelope,
            payloadSha256: sha256Hex(Buffer.from(`${salt} payload ${i}`)),
            predicateType: PREDICATE,
            subjects: [
              { name: `a-${i}`, digest: `sha256:${sha256Hex(Buffer.from(`${salt}${i}`))}` },
            ],
          });
        }),
      ),
    async close() {
      await sequencer.close();
      await db.close();
    },
  };
}

export const newLogKey = (): KeyObject => generateKeyPairSync('ed25519').privateKey;
export const newSignerKey = (): SigningKey =>
  createSigningKey(generateSigningKey('EdDSA').privateKey);

export function publishedKey(
  key: SigningKey,
  window: Partial<TrustedSignerKey> = {},
): TrustedSignerKey {
  return {
    keyid: key.keyid,
    alg: key.alg,
    publicKey: { ...key.publicJwk },
    notBefore: '2020-01-01T00:00:00Z',
    ...window,
  };
}

export async function signedEntry(
  key: SigningKey,
  artifact: Uint8Array,
): Promise<{ envelope: DsseEnvelope; entry: PreparedEntry }> {
  const statement = buildStatement({
    subject: [{ name: 'artifact', digest: { sha256: sha256Hex(artifact) } }],
    predicateType: PREDICATE,
    predicate: {},
  });
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement), [key]);
  const bytes = canonicalize(envelope);
  return {
    envelope,
    entry: {
      envelopeSha256: sha256Hex(bytes),
      envelope: bytes,
      payloadSha256: sha256Hex(Buffer.from(envelope.payload, 'base64')),
      predicateType: PREDICATE,
      subjects: [{ name: 'artifact', digest: `sha256:${sha256Hex(artifact)}` }],
    },
  };
}

export function trustFor(log: TestLog, keys: readonly TrustedSignerKey[]): TrustFile {
  return buildTrustFile({
    signerKeys: keys,
    logs: [
      {
        tenant: log.tenant,
        origin: log.signer.origin(log.tenant),
        vkey: log.signer.vkey(log.tenant),
      },
    ],
  });
}

export async function workDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'stella-attestor-cli-'));
}
