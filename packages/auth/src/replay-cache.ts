/**
 * DPoP replay detection (RFC 9449 §11.1): a `(jti, htu)` pair is accepted once per acceptance
 * window, shared across replicas through the KV port (Valkey `SET NX PX`).
 */
import { createHash } from 'node:crypto';
import type { KeyValueStore } from '@stella/core';

export interface ReplayCache {
  /**
   * True the first time `(jti, htu)` is seen within the window, false on a replay. A KV failure
   * rejects (fail closed: an unreachable store never turns into "not seen").
   */
  checkAndRemember(jti: string, htu: string): Promise<boolean>;
}

export interface ReplayCacheOptions {
  /** Key prefix, unique per service (the gateway and an upstream must not share one). */
  readonly prefix: string;
  /** How long a pair is remembered: ≥ 2 × iat skew so a proof cannot outlive its entry. */
  readonly windowMs: number;
}

// Length-prefixing jti keeps (jti, htu) pairs unambiguous: "a"+"https://h/https://h/" and
// "ahttps://h/"+"https://h/" would otherwise hash the same bytes.
function pairKey(jti: string, htu: string): string {
  const jtiBytes = Buffer.from(jti, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(jtiBytes.length);
  return createHash('sha256').update(length).update(jtiBytes).update(htu, 'utf8').digest('hex');
}

export function createReplayCache(kv: KeyValueStore, options: ReplayCacheOptions): ReplayCache {
  if (!Number.isInteger(options.windowMs) || options.windowMs <= 0) {
    throw new TypeError('windowMs must be a positive integer');
  }
  return {
    checkAndRemember: (jti, htu) =>
      kv.setIfAbsent(`${options.prefix}${pairKey(jti, htu)}`, '1', options.windowMs),
  };
}
