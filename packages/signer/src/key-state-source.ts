import { readFile, stat } from 'node:fs/promises';
import type { Clock, Logger } from '@stella/core';
import { createSigningKey, importPrivateKey } from '@stella/crypto';
import type { SignerKeyEntry, SignerKeySource } from './key-ring.ts';
import { parseKeyState } from './key-state.ts';
import type { KeyState } from './key-state.ts';

export interface KeyStateSourceOptions {
  /** Path of the key state file (see `key-state.ts`). */
  readonly statePath: string;
  /** Resolves a secret reference to bytes (`@stella/runtime` secret providers). */
  readonly resolveSecret: (ref: string) => Promise<Uint8Array>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often (ms) the file's mtime is checked; rotations must activate later than this. */
  readonly reloadIntervalMs: number;
}

/** Resolves every key of a state file; a key whose fingerprint differs from `keyid` is refused. */
export async function loadKeyEntries(
  state: KeyState,
  resolveSecret: (ref: string) => Promise<Uint8Array>,
): Promise<SignerKeyEntry[]> {
  return Promise.all(
    state.keys.map(async (k) => {
      // Signs per request: on the thread pool, so the event loop never waits on the curve.
      const key = createSigningKey(importPrivateKey(await resolveSecret(k.privateKey)), {
        threadPool: true,
      });
      if (key.keyid !== k.keyid || key.alg !== k.alg) {
        throw new TypeError(`signer key ${k.keyid}: material does not match keyid/alg`);
      }
      return {
        key,
        notBefore: Date.parse(k.notBefore),
        ...(k.notAfter === undefined ? {} : { notAfter: Date.parse(k.notAfter) }),
        ...(k.revokedAt === undefined ? {} : { revokedAt: Date.parse(k.revokedAt) }),
      };
    }),
  );
}

/**
 * File-backed key history. The first load must succeed (the service refuses to start without
 * keys). Later reloads happen when the file's mtime changes; a broken rewrite keeps the last good
 * key set and logs, so a bad rotation never takes signing down.
 */
export async function createKeyStateSource(
  options: KeyStateSourceOptions,
): Promise<SignerKeySource> {
  const load = async () =>
    loadKeyEntries(parseKeyState(await readFile(options.statePath, 'utf8')), options.resolveSecret);
  let entries = await load();
  let mtime = (await stat(options.statePath)).mtimeMs;
  let checkedAt = options.clock.now();
  let reloading: Promise<void> | undefined;

  async function reload(): Promise<void> {
    try {
      const current = (await stat(options.statePath)).mtimeMs;
      if (current === mtime) return;
      entries = await load();
      mtime = current;
      options.logger.info({ keys: entries.map((e) => e.key.keyid) }, 'signer keys reloaded');
    } catch (error) {
      options.logger.error({ err: String(error) }, 'signer key state reload failed; keeping keys');
    }
  }

  return {
    async current() {
      const now = options.clock.now();
      if (now - checkedAt >= options.reloadIntervalMs) {
        checkedAt = now;
        reloading ??= reload().finally(() => {
          reloading = undefined;
        });
        await reloading;
      }
      return entries;
    },
  };
}
