import { parseJsonStrict } from '@stella/core';
import type { AnySchema, Schema } from '@stella/core';

/**
 * Environment overrides (PLATFORM.md §7 "Configuration"). Mapping, with the default prefix
 * `STELLA_`:
 *
 *   STELLA_GATEWAY__PORT=8443                → gateway.port = 8443
 *   STELLA_AUTHORITY__TOKEN_LIFETIME=120     → authority.tokenLifetime = 120
 *   STELLA_DATABASE_URL=postgres://…         → databaseUrl (top-level key)
 *
 * `__` separates nesting levels; inside a level, `_` separators and case are ignored when matching
 * the schema's keys (`TOKEN_LIFETIME` matches `tokenLifetime`). Values are coerced by the schema
 * type at that path: integer/number (decimal text only), boolean (`true`/`false` only),
 * string/secretRef (as is), arrays and objects (strict JSON text; an array of scalars also takes a
 * comma-separated list). A variable with the prefix that matches no schema path is an error, so
 * a typo cannot silently leave a security option at its default. Names in `ignore` (default
 * `STELLA_CONFIG`) and names starting with `STELLA_TEST_` are skipped.
 */

export interface EnvOverrideProblem {
  readonly variable: string;
  readonly path: string;
  readonly message: string;
}

export function applyEnvOverrides(
  base: Record<string, unknown>,
  schema: Schema,
  env: NodeJS.ProcessEnv,
  prefix: string,
  ignore: readonly string[],
): { value: Record<string, unknown>; problems: EnvOverrideProblem[] } {
  const value = structuredClone(base);
  const problems: EnvOverrideProblem[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(prefix) || raw === undefined || ignore.includes(name)) continue;
    if (name.startsWith(`${prefix}TEST_`)) continue;
    const segments = name.slice(prefix.length).split('__');
    const target = resolvePath(schema as AnySchema, segments);
    if (target === undefined) {
      problems.push({ variable: name, path: '$', message: 'does not match any configuration key' });
      continue;
    }
    const dotted = target.path.join('.');
    const coerced = coerce(target.schema, raw);
    if (!coerced.ok) {
      problems.push({ variable: name, path: dotted, message: coerced.message });
      continue;
    }
    setPath(value, target.path, coerced.value);
  }
  return { value, problems };
}

function unwrap(schema: AnySchema): AnySchema {
  return schema.kind === 'optional' ? unwrap(schema.inner as AnySchema) : schema;
}

function normalise(segment: string): string {
  return segment.replace(/_/g, '').toLowerCase();
}

function resolvePath(
  root: AnySchema,
  segments: readonly string[],
): { path: string[]; schema: AnySchema } | undefined {
  let schema = unwrap(root);
  const path: string[] = [];
  for (const segment of segments) {
    if (schema.kind !== 'object' || segment === '') return undefined;
    const key = Object.keys(schema.shape).find((k) => normalise(k) === normalise(segment));
    if (key === undefined) return undefined;
    path.push(key);
    schema = unwrap(schema.shape[key] as AnySchema);
  }
  return path.length === 0 ? undefined : { path, schema };
}

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]*)$/;
const NUMBER_TEXT = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function coerce(schema: AnySchema, raw: string): Coerced {
  switch (schema.kind) {
    case 'integer':
      return INTEGER_TEXT.test(raw) ? { ok: true, value: Number(raw) } : bad('expected integer');
    case 'number':
      return NUMBER_TEXT.test(raw) ? { ok: true, value: Number(raw) } : bad('expected number');
    case 'boolean':
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return bad('expected true or false');
    case 'string':
    case 'secretRef':
      return { ok: true, value: raw };
    case 'array': {
      if (raw.trimStart().startsWith('[')) return json(raw, 'expected JSON array');
      const item = unwrap(schema.items as AnySchema);
      if (item.kind === 'object' || item.kind === 'array' || item.kind === 'record') {
        return bad('expected JSON array');
      }
      const parts = raw === '' ? [] : raw.split(',').map((p) => p.trim());
      const values: unknown[] = [];
      for (const part of parts) {
        const one = coerce(item, part);
        if (!one.ok) return one;
        values.push(one.value);
      }
      return { ok: true, value: values };
    }
    case 'object':
    case 'record':
      return json(raw, 'expected JSON object');
    case 'optional':
      return coerce(unwrap(schema), raw);
  }
}

function json(raw: string, message: string): Coerced {
  try {
    return { ok: true, value: parseJsonStrict(raw, { maxBytes: 65536 }) };
  } catch {
    return bad(message);
  }
}

function bad(message: string): Coerced {
  return { ok: false, message };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      Object.defineProperty(node, key, {
        value: created,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      node = created;
    } else node = next as Record<string, unknown>;
  }
  Object.defineProperty(node, path[path.length - 1]!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
