export { runtimeError, runtimeErrorCodes } from './errors.ts';
export { loadConfig } from './config.ts';
export type { LoadConfigOptions } from './config.ts';
export { applyEnvOverrides } from './env-overrides.ts';
export type { EnvOverrideProblem } from './env-overrides.ts';
export { readYamlStrict } from './yaml-strict.ts';
export { Secret } from './secrets/secret.ts';
export { createSecretResolver } from './secrets/index.ts';
export type { SecretResolver, SecretResolverOptions } from './secrets/index.ts';
export { MAX_SECRET_BYTES } from './secrets/provider.ts';
export type { SecretContext, SecretProvider } from './secrets/provider.ts';
export { fileSecretProvider } from './secrets/file-provider.ts';
export { envSecretProvider } from './secrets/env-provider.ts';
export { dockerSecretProvider } from './secrets/docker-provider.ts';
export { k8sSecretProvider } from './secrets/k8s-provider.ts';
export { vaultSecretProvider, parseVaultRef } from './secrets/vault-provider.ts';
export type { VaultAuth, VaultProviderOptions } from './secrets/vault-provider.ts';
export { createLogger, createPinoLogger, REDACT_PATHS } from './logger.ts';
export type { CreateLoggerOptions } from './logger.ts';
export { REDACTED, isSensitiveKey, scrubSensitive } from './scrub.ts';
export { correlationIdOf, resolveCorrelationId, withCorrelation } from './correlation.ts';
export type { IncomingHeaders } from './correlation.ts';
export { installRequestCorrelation } from './request-correlation.ts';
export type { RequestActor } from './request-correlation.ts';
// Pure correlation helpers live in core; re-exported so services find them in one place.
export {
  isValidCorrelationId,
  parseTraceparent,
  createTraceparent,
  formatTraceparent,
} from '@stella/core';
export type { Traceparent } from '@stella/core';
