import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deepFreeze } from '../src/deep-freeze.ts';
import { formatSchemaIssue, s, validateSchema } from '../src/schema.ts';
import type { Infer } from '../src/schema.ts';

const config = s.object({
  gateway: s.object({
    port: s.integer({ min: 1, max: 65535 }),
    mode: s.optional(s.string({ enum: ['edge', 'internal'] }), 'edge'),
    tlsKey: s.optional(s.secretRef()),
  }),
  routes: s.optional(
    s.array(
      s.object({
        path: s.string({ pattern: /^\//, max: 200 }),
        scopes: s.array(s.string({ min: 3 }), { min: 1, unique: true }),
        weight: s.optional(s.number({ min: 0, max: 1 })),
        nonce: s.optional(s.boolean(), false),
      }),
      { max: 3 },
    ),
    [],
  ),
  upstreams: s.optional(s.record(s.string(), /^[a-z]+$/)),
});
type Config = Infer<typeof config>;

function issuesOf(value: unknown): string[] {
  const result = validateSchema(config, value);
  assert.ok(!result.ok, 'expected a refusal');
  return result.issues.map(formatSchemaIssue);
}

describe('schema', () => {
  it('returns the typed value with defaults applied', () => {
    const result = validateSchema(config, { gateway: { port: 8443 } });
    assert.ok(result.ok);
    const value: Config = result.value;
    assert.deepEqual(value, { gateway: { port: 8443, mode: 'edge' }, routes: [] });
    // Inferred types: enum literal union, optional fields, defaulted fields required.
    const mode: 'edge' | 'internal' = value.gateway.mode;
    const key: `${string}:${string}` | undefined = value.gateway.tlsKey;
    assert.equal(mode, 'edge');
    assert.equal(key, undefined);
  });

  it('keeps present optional values and copies only known keys', () => {
    const input = {
      gateway: { port: 1, mode: 'internal', tlsKey: 'file:/run/key.pem' },
      routes: [{ path: '/a', scopes: ['signer:sign'], weight: 0.5, nonce: true }],
      upstreams: { signer: 'https://signer' },
    };
    const result = validateSchema(config, input);
    assert.ok(result.ok);
    assert.deepEqual(result.value, input);
    assert.notEqual(result.value.gateway, input.gateway);
  });

  it('reports every problem with its JSON path and never the value', () => {
    const issues = issuesOf({
      gateway: { port: 70000, mode: 'weird', tlsKey: 'hunter2-secret', extra: 1 },
      routes: [
        { path: 'no-slash', scopes: ['signer:sign', 'signer:sign'], weight: 2 },
        { path: '/b', scopes: [], nonce: 'yes' },
      ],
      upstreams: { Bad: 'x', ok: 3 },
      unknownTop: true,
    });
    assert.deepEqual(issues, [
      'unknownTop: unknown key',
      'gateway.extra: unknown key',
      'gateway.port: expected integer ≤ 65535',
      'gateway.mode: expected one of edge, internal',
      'gateway.tlsKey: expected secret reference (file:|env:|docker:|k8s:|vault:)',
      'routes[0].path: expected string matching /^\\//',
      'routes[0].scopes[1]: duplicate item',
      'routes[0].weight: expected number ≤ 1',
      'routes[1].scopes: expected at least 1 items',
      'routes[1].nonce: expected boolean',
      'upstreams.Bad: expected key matching /^[a-z]+$/',
      'upstreams.ok: expected string',
    ]);
    assert.ok(issues.every((line) => !line.includes('hunter2')));
  });

  it('refuses wrong types at each kind', () => {
    assert.deepEqual(issuesOf(null), ['$: expected object']);
    assert.deepEqual(issuesOf([]), ['$: expected object']);
    assert.deepEqual(issuesOf({}), ['gateway: required']);
    assert.deepEqual(issuesOf({ gateway: { port: 1.5 } }), ['gateway.port: expected integer']);
    assert.deepEqual(issuesOf({ gateway: { port: '80' } }), ['gateway.port: expected integer']);
    assert.deepEqual(issuesOf({ gateway: { port: 0 } }), ['gateway.port: expected integer ≥ 1']);
    assert.deepEqual(issuesOf({ gateway: { port: 1 }, routes: {} }), ['routes: expected array']);
    assert.deepEqual(issuesOf({ gateway: new Map() }), ['gateway: expected object']);
    const long = [1, 2, 3, 4].map(() => ({ path: '/', scopes: ['abc'] }));
    assert.deepEqual(issuesOf({ gateway: { port: 1 }, routes: long }), [
      'routes: expected at most 3 items',
    ]);
  });

  it('quotes keys that are not identifiers in paths', () => {
    assert.deepEqual(issuesOf({ gateway: { port: 1, 'a b': 1, '': 2 } }), [
      'gateway["a b"]: unknown key',
      'gateway[""]: unknown key',
    ]);
  });

  it('validates secret references by scheme', () => {
    const ref = s.secretRef();
    for (const ok of ['file:/x', 'env:A', 'docker:db', 'k8s:n/k', 'vault:kv/app#f']) {
      assert.ok(validateSchema(ref, ok).ok, ok);
    }
    for (const bad of ['file:', 'http://x', 'FILE:/x', ' env:A', 'plain-secret', 7]) {
      assert.ok(!validateSchema(ref, bad).ok, String(bad));
    }
  });

  it('string bounds and patterns', () => {
    const name = s.string({ min: 2, max: 4, pattern: /^[a-z]+$/ });
    assert.ok(validateSchema(name, 'abc').ok);
    assert.ok(!validateSchema(name, 'a').ok);
    assert.ok(!validateSchema(name, 'abcde').ok);
    assert.ok(!validateSchema(name, 'AB').ok);
  });

  it('refuses a bad default', () => {
    const bad = s.object({ port: s.optional(s.integer({ max: 10 }), 11) });
    const result = validateSchema(bad, {});
    assert.ok(!result.ok);
    assert.deepEqual(result.issues, [{ path: 'port', message: 'expected integer ≤ 10' }]);
  });

  it('does not share default values between results', () => {
    const first = validateSchema(config, { gateway: { port: 1 } });
    assert.ok(first.ok);
    (first.value.routes as unknown[]).push('mutated');
    const second = validateSchema(config, { gateway: { port: 1 } });
    assert.ok(second.ok);
    assert.deepEqual(second.value.routes, []);
  });

  it('property: an object with any extra key is always refused at that key', () => {
    const known = new Set(['gateway', 'routes', 'upstreams']);
    fc.assert(
      fc.property(
        fc.string().filter((k) => !known.has(k)),
        fc.jsonValue(),
        (key, extra) => {
          const value: Record<string, unknown> = { gateway: { port: 443 } };
          Object.defineProperty(value, key, { value: extra, enumerable: true });
          const result = validateSchema(config, value);
          assert.ok(!result.ok);
          assert.equal(result.issues.length, 1);
          assert.equal(result.issues[0]!.message, 'unknown key');
        },
      ),
    );
  });

  it('property: validation never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (value) => void validateSchema(config, value)));
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, and handles cycles', () => {
    const value: { a: { b: number[] }; self?: unknown } = { a: { b: [1, 2] } };
    value.self = value;
    const frozen = deepFreeze(value);
    assert.ok(Object.isFrozen(frozen) && Object.isFrozen(frozen.a) && Object.isFrozen(frozen.a.b));
    assert.throws(() => {
      (frozen.a.b as number[]).push(3);
    }, TypeError);
  });
  it('leaves primitives and byte arrays usable', () => {
    assert.equal(deepFreeze(5), 5);
    const bytes = deepFreeze({ key: new Uint8Array([1]) });
    assert.ok(Object.isFrozen(bytes));
  });
});
