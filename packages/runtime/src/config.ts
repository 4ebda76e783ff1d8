import { readFile } from 'node:fs/promises';
import { deepFreeze, formatSchemaIssue, validateSchema } from '@stella/core';
import type { DeepReadonly, Schema } from '@stella/core';
import { applyEnvOverrides } from './env-overrides.ts';
import { runtimeError } from './errors.ts';
import { readYamlStrict } from './yaml-strict.ts';

/**
 * Configuration loading (PLATFORM.md §7 "Configuration"): one YAML or JSON file, then
 * `STELLA_*` environment overrides, then the closed core schema, then deep-freeze.
 *
 * File: YAML 1.2 core schema; duplicate keys, anchors/aliases, explicit tags and non-string keys
 * are refused (see yaml-strict.ts). Environment: `STELLA_<SECTION>__<KEY>=value`, `__` per
 * nesting level, `_` and case ignored inside a level, values coerced by schema type (see
 * env-overrides.ts for the full mapping). Unknown keys in either source refuse to start.
 *
 * Secrets are never configured by value: fields of type `secretRef` hold a reference
 * (`file:`, `env:`, `docker:`, `k8s:`, `vault:`) resolved later by the secret resolver.
 *
 * Failures throw a StellaError `invalid_config` whose message is one line:
 * `config error: gateway.port: expected integer ≤ 65535` (plus "(and N more)"); the full list
 * is in `detail`. Messages name paths and variables, never values.
 */
export interface LoadConfigOptions<T> {
  readonly schema: Schema<T>;
  /** Path of the YAML/JSON file; without it the config is built from env + defaults only. */
  readonly file?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Default `STELLA_`. */
  readonly prefix?: string;
  /** Variables with the prefix that are not config keys. Default `['STELLA_CONFIG']`. */
  readonly ignoreEnv?: readonly string[];
  /** Refuse files larger than this many bytes. Default 1 MiB. */
  readonly maxFileBytes?: number;
}

export async function loadConfig<T>(options: LoadConfigOptions<T>): Promise<DeepReadonly<T>> {
  const prefix = options.prefix ?? 'STELLA_';
  let fromFile: unknown = {};
  if (options.file !== undefined) {
    const text = await readConfigFile(options.file, options.maxFileBytes ?? 1024 * 1024);
    const parsed = readYamlStrict(text);
    if (!parsed.ok) throw configError([`${options.file}: ${parsed.problem}`]);
    fromFile = parsed.value;
  }
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw configError(['$: expected a mapping at the top of the file']);
  }
  const { value, problems } = applyEnvOverrides(
    fromFile as Record<string, unknown>,
    options.schema,
    options.env,
    prefix,
    options.ignoreEnv ?? ['STELLA_CONFIG'],
  );
  if (problems.length > 0) {
    throw configError(problems.map((p) => `${p.variable} (${p.path}): ${p.message}`));
  }
  const result = validateSchema(options.schema, value);
  if (!result.ok) throw configError(result.issues.map(formatSchemaIssue));
  return deepFreeze(result.value);
}

async function readConfigFile(file: string, maxBytes: number): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw configError([`${file}: cannot read the configuration file (${code})`]);
  }
  if (bytes.byteLength > maxBytes) throw configError([`${file}: larger than ${maxBytes} bytes`]);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw configError([`${file}: not valid UTF-8`]);
  }
}

function configError(lines: readonly string[]) {
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  const message = `config error: ${lines[0] ?? 'invalid'}${more}`;
  const error = runtimeError('invalid_config', { detail: lines.join('\n') });
  // One line for the operator (`message`), no stack trace to scroll past; the public
  // `description` stays generic.
  error.message = message;
  error.stack = message;
  return error;
}
