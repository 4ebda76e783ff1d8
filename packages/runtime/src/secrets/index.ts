import { SECRET_REF_PATTERN, isStellaError } from '@stella/core';
import { runtimeError } from '../errors.ts';
import type { SecretContext, SecretProvider } from './provider.ts';
import { Secret } from './secret.ts';

/**
 * Secret references (PLATFORM.md §7 "Secrets"). Configuration holds only references:
 *
 *   file:<absolute path>           a file on disk
 *   env:<NAME>                     an environment variable (non-empty)
 *   docker:<name>                  /run/secrets/<name> (Docker / Swarm secrets)
 *   k8s:<name>/<key>               /var/run/secrets/stella/<name>/<key> (mounted Secret volume)
 *   vault:<mount>/<path>#<field>   HashiCorp Vault KV v2 over HTTPS (token or Kubernetes auth)
 *
 * Providers are registered explicitly — a scheme without a provider is unavailable, there are no
 * global defaults:
 *
 *   const secrets = createSecretResolver({
 *     providers: [fileSecretProvider(), envSecretProvider(process.env), dockerSecretProvider()],
 *   });
 *   const key = await secrets.resolveSecret(config.signer.keyRef);
 *
 * Failures throw StellaError `secret_unavailable` naming the reference and a reason code, never
 * the value. Bytes are returned exactly as stored (no trimming).
 */
export interface SecretResolver {
  resolveSecret(ref: string): Promise<Secret>;
}

export interface SecretResolverOptions {
  readonly providers: readonly SecretProvider[];
}

/** Nested resolution (a Vault token that is itself a reference) stops here. */
const MAX_NESTING = 3;

export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const providers = new Map<string, SecretProvider>();
  for (const provider of options.providers) {
    if (providers.has(provider.scheme))
      throw new TypeError(`duplicate secret provider ${provider.scheme}`);
    providers.set(provider.scheme, provider);
  }

  async function resolveAt(ref: string, depth: number): Promise<Secret> {
    const shown = describeRef(ref);
    if (typeof ref !== 'string' || !SECRET_REF_PATTERN.test(ref))
      throw unavailable(shown, 'invalid reference');
    const colon = ref.indexOf(':');
    const provider = providers.get(ref.slice(0, colon));
    if (provider === undefined) throw unavailable(shown, 'no provider registered for this scheme');
    if (depth > MAX_NESTING) throw unavailable(shown, 'nested too deeply');
    const ctx: SecretContext = { resolve: (inner) => resolveAt(inner, depth + 1) };
    let bytes: Uint8Array;
    try {
      bytes = await provider.resolve(ref.slice(colon + 1), ctx);
    } catch (error) {
      throw unavailable(shown, reasonOf(error), error);
    }
    if (bytes.byteLength === 0) throw unavailable(shown, 'empty secret');
    return new Secret(bytes, ref);
  }

  return { resolveSecret: (ref) => resolveAt(ref, 0) };
}

function describeRef(ref: unknown): string {
  // References are not secret, but a mis-typed config could hold a value where a reference
  // belongs; only well-formed references are echoed, and bounded.
  return typeof ref === 'string' && SECRET_REF_PATTERN.test(ref) && ref.length <= 256
    ? ref
    : '(invalid reference)';
}

function reasonOf(error: unknown): string {
  // A nested reference (e.g. the Vault token) failed: say which, with its reason.
  if (isStellaError(error) && error.code === 'secret_unavailable')
    return `via ${error.detail ?? ''}`;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    // errno codes (ENOENT, EACCES, ECONNREFUSED) and undici codes carry no data.
    return error.code;
  }
  if (error instanceof Error && error.constructor === Error) return error.message;
  return 'provider failed';
}

function unavailable(ref: string, reason: string, cause?: unknown) {
  const error = runtimeError('secret_unavailable', {
    detail: `${ref}: ${reason}`,
    ...(cause === undefined ? {} : { cause }),
  });
  // `message` is for the operator; the public `description` stays generic, so the reference
  // (a path or name) never reaches a client even if this error escapes into a response.
  error.message = `secret unavailable: ${ref} (${reason})`;
  return error;
}
