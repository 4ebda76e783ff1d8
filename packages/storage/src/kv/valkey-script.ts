/**
 * Runs a Lua script by SHA-1 (EVALSHA) and falls back to EVAL when the server has not cached it
 * (NOSCRIPT after a restart or failover), so the script text crosses the wire only when needed.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'iovalkey';

export function createScript(client: Redis, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: string[], args: string[]): Promise<unknown> => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(source, keys.length, ...keys, ...args);
    }
  };
}
