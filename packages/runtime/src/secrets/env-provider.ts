import type { SecretProvider } from './provider.ts';
import { MAX_SECRET_BYTES } from './provider.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env:<NAME>` from an injected environment (tests pass their own; services pass process.env). */
export function envSecretProvider(env: NodeJS.ProcessEnv): SecretProvider {
  return {
    scheme: 'env',
    async resolve(ref) {
      if (!ENV_NAME.test(ref)) throw new Error('invalid variable name');
      const value = Object.hasOwn(env, ref) ? env[ref] : undefined;
      // An empty variable is treated as unset: an empty key or password is never intended.
      if (value === undefined || value === '') throw new Error('variable not set');
      const bytes = new TextEncoder().encode(value);
      if (bytes.byteLength > MAX_SECRET_BYTES) throw new Error('secret too large');
      return bytes;
    },
  };
}
