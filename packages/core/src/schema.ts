import { canonicalizeToString } from './canonical-json.ts';

/**
 * A small declarative validator for configuration and request bodies (CONVENTIONS.md
 * "Configuration": reject unknown keys, fail closed). A schema is data (`kind` plus its parts) so
 * the config loader can walk it to coerce environment overrides, and its TypeScript type is
 * inferred: `Infer<typeof mySchema>`.
 *
 *   const gateway = s.object({
 *     port: s.integer({ min: 1, max: 65535 }),
 *     tls: s.optional(s.object({ key: s.secretRef(), cert: s.secretRef() })),
 *     mode: s.optional(s.string({ enum: ['edge', 'internal'] }), 'edge'),
 *   });
 *
 * Objects are closed: an unknown key is an issue at that key's path. Issue messages describe the
 * expectation and never echo the value (it may be attacker input or a secret).
 */

export type PathSegment = string | number;

export interface SchemaIssue {
  /** JSON path such as `gateway.port`, `routes[0].path` or `$` for the root. */
  readonly path: string;
  readonly message: string;
}

const INVALID: unique symbol = Symbol('invalid');
type Invalid = typeof INVALID;
const MAX_ISSUES = 100;

interface Context {
  readonly issues: SchemaIssue[];
}

interface SchemaBase<T> {
  /** Phantom member carrying the inferred type; never set at run time. */
  readonly __type?: T;
  /** @internal validates `value` at `path`, pushing issues; returns the (defaulted) value. */
  readonly check: (value: unknown, path: readonly PathSegment[], ctx: Context) => T | Invalid;
}

export interface StringSchema<T extends string = string> extends SchemaBase<T> {
  readonly kind: 'string';
  readonly options: StringOptions;
}
export interface NumberSchema extends SchemaBase<number> {
  readonly kind: 'integer' | 'number';
  readonly options: NumberOptions;
}
export interface BooleanSchema extends SchemaBase<boolean> {
  readonly kind: 'boolean';
}
export type SecretRefText = `${'file' | 'env' | 'docker' | 'k8s' | 'vault'}:${string}`;
export interface SecretRefSchema extends SchemaBase<SecretRefText> {
  readonly kind: 'secretRef';
}
export interface ArraySchema<T> extends SchemaBase<T[]> {
  readonly kind: 'array';
  readonly items: Schema<T>;
  readonly options: ArrayOptions;
}
export interface RecordSchema<T> extends SchemaBase<Record<string, T>> {
  readonly kind: 'record';
  readonly values: Schema<T>;
}
export interface ObjectSchema<S extends Shape> extends SchemaBase<ObjectOutput<S>> {
  readonly kind: 'object';
  readonly shape: S;
}
export interface OptionalSchema<T, D extends boolean> extends SchemaBase<T> {
  readonly kind: 'optional';
  readonly inner: Schema<T>;
  readonly hasDefault: D;
  readonly defaultValue: T | undefined;
}

export type SchemaKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'secretRef'
  | 'array'
  | 'record'
  | 'object'
  | 'optional';
/** Any schema producing `T`. */
export type Schema<T = unknown> = SchemaBase<T> & { readonly kind: SchemaKind };

/** Loosest schema type, for walking schemas generically. */
export type AnySchema =
  | StringSchema
  | NumberSchema
  | BooleanSchema
  | SecretRefSchema
  | ArraySchema<unknown>
  | RecordSchema<unknown>
  | ObjectSchema<Shape>
  | OptionalSchema<unknown, boolean>;

export type Shape = { readonly [key: string]: Schema };
type DefaultFor<T> = T extends readonly unknown[] ? T : T extends object ? Partial<T> : T;
export type Infer<S> = S extends SchemaBase<infer T> ? T : never;

type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown, false> ? K : never;
}[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOutput<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
    [K in OptionalKeys<S>]?: Infer<S[K]>;
  }
>;

export interface StringOptions {
  readonly pattern?: RegExp;
  /** Length bounds in UTF-16 code units. */
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
}
export interface NumberOptions {
  readonly min?: number;
  readonly max?: number;
}
export interface ArrayOptions {
  readonly min?: number;
  readonly max?: number;
  /** Items must be distinct (compared by their RFC 8785 form). */
  readonly unique?: boolean;
}

function issue(ctx: Context, path: readonly PathSegment[], message: string): Invalid {
  if (ctx.issues.length < MAX_ISSUES) ctx.issues.push({ path: formatPath(path), message });
  return INVALID;
}

function string<const E extends readonly string[]>(
  options: StringOptions & { readonly enum: E },
): StringSchema<E[number]>;
function string(options?: StringOptions): StringSchema;
function string(options: StringOptions = {}): StringSchema {
  const { pattern, min, max } = options;
  const allowed = options.enum;
  return {
    kind: 'string',
    options,
    check: (value, path, ctx) => {
      if (typeof value !== 'string') return issue(ctx, path, 'expected string');
      if (allowed !== undefined && !allowed.includes(value)) {
        return issue(ctx, path, `expected one of ${allowed.join(', ')}`);
      }
      if (min !== undefined && value.length < min) {
        return issue(ctx, path, `expected string of length ≥ ${min}`);
      }
      if (max !== undefined && value.length > max) {
        return issue(ctx, path, `expected string of length ≤ ${max}`);
      }
      if (pattern !== undefined) {
        pattern.lastIndex = 0;
        if (!pattern.test(value)) return issue(ctx, path, `expected string matching ${pattern}`);
      }
      return value;
    },
  };
}

function numeric(kind: 'integer' | 'number', options: NumberOptions = {}): NumberSchema {
  return {
    kind,
    options,
    check: (value, path, ctx) => {
      const ok =
        typeof value === 'number' &&
        (kind === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value));
      if (!ok) return issue(ctx, path, `expected ${kind}`);
      if (options.min !== undefined && value < options.min) {
        return issue(ctx, path, `expected ${kind} ≥ ${options.min}`);
      }
      if (options.max !== undefined && value > options.max) {
        return issue(ctx, path, `expected ${kind} ≤ ${options.max}`);
      }
      return value;
    },
  };
}

function boolean(): BooleanSchema {
  return {
    kind: 'boolean',
    check: (value, path, ctx) =>
      typeof value === 'boolean' ? value : issue(ctx, path, 'expected boolean'),
  };
}

export const SECRET_REF_PATTERN = /^(file|env|docker|k8s|vault):.+$/s;

function secretRef(): SecretRefSchema {
  return {
    kind: 'secretRef',
    check: (value, path, ctx) =>
      typeof value === 'string' && SECRET_REF_PATTERN.test(value)
        ? (value as SecretRefText)
        : issue(ctx, path, 'expected secret reference (file:|env:|docker:|k8s:|vault:)'),
  };
}

function array<T>(items: SchemaBase<T>, options: ArrayOptions = {}): ArraySchema<T> {
  return {
    kind: 'array',
    items: items as Schema<T>,
    options,
    check: (value, path, ctx) => {
      if (!Array.isArray(value)) return issue(ctx, path, 'expected array');
      if (options.min !== undefined && value.length < options.min) {
        return issue(ctx, path, `expected at least ${options.min} items`);
      }
      if (options.max !== undefined && value.length > options.max) {
        return issue(ctx, path, `expected at most ${options.max} items`);
      }
      const out: T[] = [];
      let failed = false;
      const seen = new Set<string>();
      for (let i = 0; i < value.length; i += 1) {
        const item = items.check(value[i], [...path, i], ctx);
        if (item === INVALID) {
          failed = true;
          continue;
        }
        if (options.unique === true) {
          const key = canonicalizeToString(item);
          if (seen.has(key)) {
            failed = true;
            issue(ctx, [...path, i], 'duplicate item');
          }
          seen.add(key);
        }
        out.push(item);
      }
      return failed ? INVALID : out;
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function record<T>(values: SchemaBase<T>, keyPattern?: RegExp): RecordSchema<T> {
  return {
    kind: 'record',
    values: values as Schema<T>,
    check: (value, path, ctx) => {
      if (!isPlainObject(value)) return issue(ctx, path, 'expected object');
      const out: Record<string, T> = {};
      let failed = false;
      for (const key of Object.keys(value)) {
        if (keyPattern !== undefined && !keyPattern.test(key)) {
          failed = true;
          issue(ctx, [...path, key], `expected key matching ${keyPattern}`);
          continue;
        }
        const item = values.check(value[key], [...path, key], ctx);
        if (item === INVALID) failed = true;
        else Object.defineProperty(out, key, { value: item, enumerable: true, writable: true });
      }
      return failed ? INVALID : out;
    },
  };
}

function object<S extends Shape>(shape: S): ObjectSchema<S> {
  return {
    kind: 'object',
    shape,
    check: (value, path, ctx) => {
      if (!isPlainObject(value)) return issue(ctx, path, 'expected object');
      let failed = false;
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(shape, key)) {
          failed = true;
          issue(ctx, [...path, key], 'unknown key');
        }
      }
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape)) {
        const present = Object.hasOwn(value, key) && value[key] !== undefined;
        if (!present && (field as AnySchema).kind !== 'optional') {
          failed = true;
          issue(ctx, [...path, key], 'required');
          continue;
        }
        const item = field.check(present ? value[key] : undefined, [...path, key], ctx);
        if (item === INVALID) failed = true;
        else if (item !== undefined) out[key] = item;
      }
      return failed ? INVALID : (out as ObjectOutput<S>);
    },
  };
}

function optional<T>(inner: SchemaBase<T>): OptionalSchema<T, false>;
/**
 * The default is run through `inner` on every use, so for an object it may be partial (`{}`)
 * and let the object's own field defaults fill it.
 */
function optional<T>(inner: SchemaBase<T>, defaultValue: DefaultFor<T>): OptionalSchema<T, true>;
function optional<T>(inner: SchemaBase<T>, ...rest: [DefaultFor<T>?]): OptionalSchema<T, boolean> {
  const hasDefault = rest.length > 0;
  const defaultValue = rest[0] as T | undefined;
  return {
    kind: 'optional',
    inner: inner as Schema<T>,
    hasDefault,
    defaultValue,
    check: (value, path, ctx) => {
      if (value !== undefined) return inner.check(value, path, ctx);
      // The default goes through the schema too, so a bad default is caught, and is cloned so
      // a caller mutating one result cannot change the next.
      return hasDefault ? inner.check(structuredClone(defaultValue), path, ctx) : (undefined as T);
    },
  };
}

/** Schema builders. */
export const s = Object.freeze({
  object,
  string,
  integer: (options?: NumberOptions) => numeric('integer', options),
  number: (options?: NumberOptions) => numeric('number', options),
  boolean,
  array,
  record,
  optional,
  secretRef,
});

export type SchemaResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/** Validates `value`; the result holds a fresh value with defaults applied and only known keys. */
export function validateSchema<T>(schema: SchemaBase<T>, value: unknown): SchemaResult<T> {
  const ctx: Context = { issues: [] };
  const out = schema.check(value, [], ctx);
  if (out === INVALID || ctx.issues.length > 0) return { ok: false, issues: ctx.issues };
  return { ok: true, value: out };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '$';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment) && segment.length <= 64) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(segment.slice(0, 64))}]`;
  }
  return out;
}

export function formatSchemaIssue(item: SchemaIssue): string {
  return `${item.path}: ${item.message}`;
}
