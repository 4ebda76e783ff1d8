import { coreErrorCodes, defineErrorCodes } from '@stella/core';

/**
 * Runtime's error codes. Both are start-up failures (500 if they ever reach a client); their
 * messages name the config path or secret reference, never a value.
 */
export const runtimeErrorCodes = {
  invalid_config: coreErrorCodes.invalid_config,
  secret_unavailable: coreErrorCodes.secret_unavailable,
} as const;

export const runtimeError = defineErrorCodes(runtimeErrorCodes);
