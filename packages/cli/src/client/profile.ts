import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { formatSchemaIssue, parseJsonStrict, s, validateSchema } from '@stella/core';
import { UsageError } from '../cli-env.ts';
import { readPlatformState } from '../platform-state.ts';
import { cliClientError } from './errors.ts';

/**
 * A client profile: where the platform is and how this client authenticates to the Authority
 * (PLATFORM.md §2 "Client authentication"). `privateKey` is a secret REFERENCE (`file:`, `env:`,
 * …) resolved at the point of use, never a key value; relative file paths are resolved against
 * the profile's own directory so a profile can travel with its files.
 */
export interface ClientProfile {
  readonly issuer: string;
  readonly gateway: string;
  readonly clientId: string;
  readonly tenant: string;
  readonly authMethod: 'private_key_jwt' | 'tls_client_auth';
  readonly privateKey?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
}

const HTTP_URL = /^https?:\/\/[^\s/?#@]+(?:\/[^\s?#]*)?$/;
const profileSchema = s.object({
  issuer: s.string({ pattern: HTTP_URL, max: 2048 }),
  gateway: s.string({ pattern: HTTP_URL, max: 2048 }),
  clientId: s.string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/ }),
  tenant: s.string({ pattern: /^[a-z0-9][a-z0-9-]{0,62}$/ }),
  authMethod: s.string({ enum: ['private_key_jwt', 'tls_client_auth'] as const }),
  privateKey: s.optional(s.secretRef()),
  certFile: s.optional(s.string({ min: 1, max: 4096 })),
  keyFile: s.optional(s.string({ min: 1, max: 4096 })),
  caFile: s.optional(s.string({ min: 1, max: 4096 })),
});

function invalid(detail: string): never {
  throw cliClientError('invalid_profile', { detail });
}

/**
 * Parses profile JSON text (operator-supplied, so strictly: duplicate keys, unknown keys and
 * a credential that does not fit `authMethod` are refused). `baseDir` anchors relative paths.
 */
export function parseProfile(text: string, baseDir: string): ClientProfile {
  let value: unknown;
  try {
    value = parseJsonStrict(text);
  } catch {
    return invalid('not strict JSON');
  }
  const result = validateSchema(profileSchema, value);
  if (!result.ok) return invalid(result.issues.map(formatSchemaIssue).join('; '));
  const p = result.value;
  if (p.authMethod === 'private_key_jwt') {
    if (p.privateKey === undefined)
      invalid('private_key_jwt needs privateKey (a secret reference)');
    if (p.certFile !== undefined || p.keyFile !== undefined) {
      invalid('private_key_jwt takes no certFile/keyFile');
    }
  } else {
    if (p.certFile === undefined || p.keyFile === undefined) {
      invalid('tls_client_auth needs certFile and keyFile');
    }
    if (p.privateKey !== undefined) invalid('tls_client_auth takes no privateKey');
  }
  const resolve = (file: string | undefined) =>
    file === undefined ? {} : { value: path.resolve(baseDir, file) };
  const ca = resolve(p.caFile);
  const cert = resolve(p.certFile);
  const key = resolve(p.keyFile);
  return {
    issuer: p.issuer.replace(/\/+$/, ''),
    gateway: p.gateway.replace(/\/+$/, ''),
    clientId: p.clientId,
    tenant: p.tenant,
    authMethod: p.authMethod,
    ...(p.privateKey === undefined ? {} : { privateKey: p.privateKey }),
    ...('value' in cert ? { certFile: cert.value } : {}),
    ...('value' in key ? { keyFile: key.value } : {}),
    ...('value' in ca ? { caFile: ca.value } : {}),
  };
}

export async function loadProfile(file: string): Promise<ClientProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the client profile ${file}; pass --profile <file>`);
  }
  return parseProfile(text, path.dirname(path.resolve(file)));
}

/**
 * `--profile <file>` when given, else the demo profile the running platform in `dataDir`
 * published (`stella up` writes it and names it in platform.json).
 */
export async function resolveProfile(opts: {
  profile?: string;
  dataDir: string;
}): Promise<ClientProfile> {
  if (opts.profile !== undefined) return loadProfile(opts.profile);
  const state = await readPlatformState(opts.dataDir);
  return loadProfile(state.profile);
}
