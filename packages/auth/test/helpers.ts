// Test fixtures: real keys, real signatures, in-memory KV fake implementing the core port.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { KeyValueStore } from '@stella/core';

export type TestAlg = 'ES256' | 'EdDSA';

export interface TestKey {
  alg: TestAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, string>;
}

export function testKey(alg: TestAlg = 'ES256'): TestKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { alg, privateKey, publicKey, jwk };
}

export const b64u = (v: string | Uint8Array): string => Buffer.from(v).toString('base64url');

/** Signs arbitrary header/payload JSON with `key` (no validation: for negative vectors too). */
export function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: TestKey,
): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), key.privateKey);
  return `${input}.${b64u(sig)}`;
}

export const NOW_MS = 1_700_000_000_000;
export const NOW = NOW_MS / 1000;

export function athOf(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

export function dpopProof(
  key: TestKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): string {
  return signJws(
    { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header },
    {
      jti: `jti-${Math.random()}`,
      htm: 'POST',
      htu: 'https://api.example.com/v1/sign',
      iat: NOW,
      ...claims,
    },
    key,
  );
}

export function jwkThumbprintRef(jwk: Record<string, string>): string {
  const members =
    jwk['kty'] === 'EC'
      ? { crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'], y: jwk['y'] }
      : { crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'] };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** In-memory KeyValueStore fake with real TTL semantics against an injected clock. */
export function memoryKv(now: () => number = () => NOW_MS): KeyValueStore & { failing: boolean } {
  const map = new Map<string, { value: string; expires: number }>();
  const live = (key: string) => {
    const entry = map.get(key);
    if (entry !== undefined && entry.expires <= now()) map.delete(key);
    return map.get(key);
  };
  const kv = {
    failing: false,
    async get(key: string) {
      if (kv.failing) throw new Error('kv down');
      return live(key)?.value;
    },
    async setIfAbsent(key: string, value: string, ttlMs: number) {
      if (kv.failing) throw new Error('kv down');
      if (live(key) !== undefined) return false;
      map.set(key, { value, expires: now() + ttlMs });
      return true;
    },
    async incrWithTtl(key: string, ttlMs: number) {
      const entry = live(key);
      const count = Number(entry?.value ?? '0') + 1;
      const expires = entry?.expires ?? now() + ttlMs;
      map.set(key, { value: String(count), expires });
      return { count, ttlMs: expires - now() };
    },
    async del(key: string) {
      map.delete(key);
    },
    async close() {},
  };
  return kv;
}
