import { isAbsolute, normalize } from 'node:path';
import type { SecretProvider } from './provider.ts';
import { readSecretFile } from './read-secret-file.ts';

/** `file:<absolute path>`. Relative paths are refused: they depend on the working directory. */
export function fileSecretProvider(): SecretProvider {
  return {
    scheme: 'file',
    async resolve(ref) {
      if (!isAbsolute(ref) || normalize(ref) !== ref)
        throw new Error('path must be absolute and normalized');
      return readSecretFile(ref);
    },
  };
}
