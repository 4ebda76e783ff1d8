import type { Secret } from './secret.ts';

/**
 * The contract every secret provider exports (CONVENTIONS.md: each provider is the same small
 * contract, registered explicitly in `createSecretResolver`). `ref` is the part after
 * `<scheme>:`; `ctx.resolve` lets a provider resolve another reference (e.g. the Vault token).
 */
export interface SecretProvider {
  readonly scheme: string;
  resolve(ref: string, ctx: SecretContext): Promise<Uint8Array>;
}

export interface SecretContext {
  resolve(ref: string): Promise<Secret>;
}

/** Largest secret any provider returns (keys, certificates, tokens). */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** File and volume names: no separators, no `.`/`..`, nothing a path could be built from. */
export const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,253}$/;
