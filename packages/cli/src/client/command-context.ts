import { createIdGenerator, systemClock } from '@stella/core';
import type { Clock, IdGenerator } from '@stella/core';
import type { SecretResolver } from '@stella/runtime';
import { resolveProfile } from './profile.ts';
import { defaultSecretResolver, openPlatformClient } from './platform-client.ts';
import type { PlatformClient } from './platform-client.ts';
import type { HttpClient } from './https-client.ts';

/**
 * The composition root of the client commands: turns `--profile` / `--data-dir` into a
 * connected `PlatformClient` with the system clock, random ids and the `file:`/`env:` secret
 * providers. Tests pass their own deps; commands use the defaults.
 */
export interface ClientCommandDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly secrets: SecretResolver;
  readonly http?: HttpClient;
}

export interface ProfileOptions {
  profile?: string;
  dataDir: string;
}

export function defaultClientDeps(): ClientCommandDeps {
  return {
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    secrets: defaultSecretResolver(process.env),
  };
}

export async function openFromOptions(
  opts: ProfileOptions,
  deps: ClientCommandDeps = defaultClientDeps(),
): Promise<PlatformClient> {
  const profile = await resolveProfile(opts);
  return openPlatformClient(profile, deps);
}

/** Runs `body` with an open client and always closes it (its TLS sockets keep Node alive). */
export async function withClient<T>(
  opts: ProfileOptions,
  deps: ClientCommandDeps | undefined,
  body: (client: PlatformClient) => Promise<T>,
): Promise<T> {
  const client = await openFromOptions(opts, deps);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

export const PROFILE_HELP =
  'client profile JSON (default: the demo profile of the running platform in --data-dir)';
