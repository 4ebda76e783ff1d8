import { join } from 'node:path';
import { SAFE_NAME } from './provider.ts';
import type { SecretProvider } from './provider.ts';
import { readSecretFile } from './read-secret-file.ts';

/**
 * `k8s:<name>/<key>` → `<baseDir>/<name>/<key>`: a Kubernetes Secret mounted as a volume (one
 * directory per secret, one file per key; default base `/var/run/secrets/stella`). Reading the
 * mounted file rather than calling the API server needs no RBAC and picks up rotations.
 */
export function k8sSecretProvider(options: { baseDir?: string } = {}): SecretProvider {
  const baseDir = options.baseDir ?? '/var/run/secrets/stella';
  return {
    scheme: 'k8s',
    async resolve(ref) {
      const parts = ref.split('/');
      if (parts.length !== 2 || !parts.every((p) => SAFE_NAME.test(p))) {
        throw new Error('expected <name>/<key>');
      }
      return readSecretFile(join(baseDir, parts[0]!, parts[1]!));
    },
  };
}
