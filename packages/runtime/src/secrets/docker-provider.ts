import { join } from 'node:path';
import { SAFE_NAME } from './provider.ts';
import type { SecretProvider } from './provider.ts';
import { readSecretFile } from './read-secret-file.ts';

/** `docker:<name>` → `<baseDir>/<name>`, Docker/Swarm secrets mounted at `/run/secrets`. */
export function dockerSecretProvider(options: { baseDir?: string } = {}): SecretProvider {
  const baseDir = options.baseDir ?? '/run/secrets';
  return {
    scheme: 'docker',
    async resolve(ref) {
      if (!SAFE_NAME.test(ref)) throw new Error('invalid secret name');
      return readSecretFile(join(baseDir, ref));
    },
  };
}
