import type { Clock, IdGenerator } from '@stella/core';
import type { SecretProvider, SecretResolver } from '@stella/runtime';
import {
  createSecretResolver,
  envSecretProvider,
  fileSecretProvider,
  dockerSecretProvider,
  k8sSecretProvider,
} from '@stella/runtime';
import { UsageError } from '../cli-env.ts';
import type { ClientProfile } from './profile.ts';
import { createHttpClientFromFiles } from './https-client.ts';
import type { HttpClient } from './https-client.ts';
import { generateDpopKey } from './dpop-proof.ts';
import type { DpopKey } from './dpop-proof.ts';
import { importClientKey } from './client-assertion.ts';
import type { ClientAssertionKey } from './client-assertion.ts';
import { requestAccessToken } from './token-client.ts';
import type { AccessToken } from './token-client.ts';
import { createDpopSession } from './dpop-session.ts';
import type { DpopSession } from './dpop-session.ts';

/**
 * One CLI invocation's connection to the platform: the HTTPS client trusting the profile's CA,
 * the client credential, and ONE DPoP key for every token and proof of the invocation.
 */
export interface PlatformClient {
  readonly profile: ClientProfile;
  readonly http: HttpClient;
  readonly dpopKey: DpopKey;
  token(audience: string, scope: string): Promise<AccessToken>;
  /** A token for (audience, scope) and a session that makes DPoP requests with it. */
  session(audience: string, scope: string): Promise<DpopSession>;
  close(): Promise<void>;
}

export interface PlatformClientDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly secrets: SecretResolver;
  /** Overrides the HTTP client (tests); default trusts `profile.caFile`. */
  readonly http?: HttpClient;
}

/** The providers that need nothing configured: `file:`, `env:`, `docker:`, `k8s:`. */
export function baseSecretProviders(env: NodeJS.ProcessEnv): SecretProvider[] {
  return [
    fileSecretProvider(),
    envSecretProvider(env),
    dockerSecretProvider(),
    k8sSecretProvider(),
  ];
}

/** Secret providers the CLI resolves profile references with (`baseSecretProviders`). */
export function defaultSecretResolver(env: NodeJS.ProcessEnv): SecretResolver {
  return createSecretResolver({ providers: baseSecretProviders(env) });
}

export async function openPlatformClient(
  profile: ClientProfile,
  deps: PlatformClientDeps,
): Promise<PlatformClient> {
  let clientKey: ClientAssertionKey | undefined;
  if (profile.authMethod === 'private_key_jwt' && profile.privateKey !== undefined) {
    clientKey = importClientKey(await deps.secrets.resolveSecret(profile.privateKey));
  }
  let http = deps.http;
  if (http === undefined) {
    try {
      http = await createHttpClientFromFiles({
        caFile: profile.caFile,
        certFile: profile.certFile,
        keyFile: profile.keyFile,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new UsageError(
        `cannot read the CA or client certificate named in the profile (${typeof code === 'string' ? code : 'unreadable'}); check caFile/certFile/keyFile`,
      );
    }
  }
  const dpopKey = generateDpopKey();
  const client: PlatformClient = {
    profile,
    http,
    dpopKey,
    token: (audience, scope) =>
      requestAccessToken({
        profile,
        audience,
        scope,
        http,
        dpopKey,
        clock: deps.clock,
        ids: deps.ids,
        ...(clientKey === undefined ? {} : { clientKey }),
      }),
    async session(audience, scope) {
      const token = await client.token(audience, scope);
      return createDpopSession({ http, token, dpopKey, clock: deps.clock, ids: deps.ids });
    },
    close: () => (deps.http === undefined ? http.close() : Promise.resolve()),
  };
  return client;
}
