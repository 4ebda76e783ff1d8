/**
 * The per-request CPU cuts must not change a verdict: route matching on a table sorted once,
 * request-target vetting with fast paths, one header object for the upstream hop, and the
 * authenticator seeing only the authorization fields (still every repeated field).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStellaError } from '@stella/core';
import { filterRequestHeaders, identityHeaders, sortedScopes } from '../src/forward-headers.ts';
import { checkRequestTarget } from '../src/request-hygiene.ts';
import { matchRoute } from '../src/route-match.ts';
import type { RouteMatch } from '../src/route-match.ts';
import { parseRouteTable } from '../src/routes.ts';
import type { RouteDefinition } from '../src/routes.ts';
import { HOST, createFixture } from './helpers/fixture.ts';
import type { Fixture } from './helpers/fixture.ts';

/** The previous per-request implementation (filter, sort, find), as the reference. */
function referenceMatch(
  routes: readonly RouteDefinition[],
  host: string,
  method: string,
  path: string,
): RouteMatch {
  if (path === '/internal' || path.startsWith('/internal/')) return { kind: 'not_found' };
  const covers = (r: RouteDefinition) =>
    r.prefix
      ? path === r.path.slice(0, -1) || (path.startsWith(r.path) && path.length > r.path.length)
      : path === r.path;
  const candidates = routes.filter((r) => (r.host === undefined || r.host === host) && covers(r));
  if (candidates.length === 0) return { kind: 'not_found' };
  const ordered = [...candidates].sort(
    (a, b) => Number(a.prefix) - Number(b.prefix) || b.path.length - a.path.length,
  );
  const route = ordered.find((r) => (r.methods as readonly string[]).includes(method));
  if (route !== undefined) return { kind: 'match', route };
  return {
    kind: 'method_not_allowed',
    allow: [...new Set(candidates.flatMap((r) => r.methods))].sort(),
  };
}

describe('matchRoute on a table sorted once', () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'internal');
  const pathArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
  const routePathArb = fc
    .array(fc.constantFrom('a', 'b', 'ab'), { minLength: 1, maxLength: 3 })
    .map((s) => `/${s.join('/')}`);
  const routeArb = fc.record({
    path: routePathArb,
    prefix: fc.boolean(),
    methods: fc.subarray(['GET', 'POST', 'PUT'] as const, { minLength: 1 }),
    host: fc.option(fc.constantFrom('gw', 'other'), { nil: undefined }),
  });

  test('property: same verdict as the per-request filter/sort/find, also on repeat calls', () => {
    let parsedTables = 0;
    let refusedTables = 0;
    let matched = 0;
    let notAllowed = 0;
    fc.assert(
      fc.property(
        fc.array(routeArb, { minLength: 1, maxLength: 6 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('gw', 'other'),
            fc.constantFrom('GET', 'POST', 'DELETE'),
            pathArb,
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (specs, requests) => {
          let routes: readonly RouteDefinition[];
          try {
            routes = parseRouteTable(
              specs.map((s, i) => ({
                name: `r${i}`,
                path: s.prefix ? `${s.path}/` : s.path,
                prefix: s.prefix,
                methods: [...s.methods],
                upstream: 'signer',
                auth: 'token',
                audience: 'signer',
                scopes: ['signer:sign'],
                ...(s.host === undefined ? {} : { host: s.host }),
              })),
              ['signer'],
            );
          } catch (error) {
            // Only `/internal` and duplicate paths are refused; anything else is a test bug.
            assert.match(String(error), /internal|duplicate|path/);
            refusedTables += 1;
            return;
          }
          parsedTables += 1;
          for (const [host, method, path] of requests) {
            const expected = referenceMatch(routes, host, method, path);
            assert.deepEqual(matchRoute(routes, host, method, path), expected);
            assert.deepEqual(matchRoute(routes, host, method, path), expected);
            if (expected.kind === 'match') matched += 1;
            if (expected.kind === 'method_not_allowed') notAllowed += 1;
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(
      parsedTables > refusedTables,
      `${parsedTables} tables parsed, ${refusedTables} refused`,
    );
    assert.ok(matched > 0 && notAllowed > 0, `${matched} matches, ${notAllowed} 405s`);
  });
});

/** The previous request-target vetting, every scan unconditional, as the reference. */
function referenceTarget(target: string): string {
  const fail = (code: string) => {
    throw Object.assign(new Error(code), { code });
  };
  if (target.includes('\0') || /%00/.test(target)) fail('path_traversal');
  if (!target.startsWith('/')) fail('bad_request');
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (path.includes('\\')) fail('path_traversal');
  if (!/^[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/.test(path)) fail('path_traversal');
  if (!/^[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*$/.test(query)) fail('bad_request');
  if (/%(?![0-9A-Fa-f]{2})/.test(target)) fail('bad_request');
  for (const [, hex] of path.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const char = String.fromCharCode(parseInt(hex as string, 16));
    if (char === '/' || char === '\\' || char === '%' || char === '.') fail('path_traversal');
    if (/^[A-Za-z0-9._~-]$/.test(char)) fail('path_traversal');
  }
  if (path.includes('//')) fail('path_traversal');
  for (const s of path.split('/')) if (s === '.' || s === '..') fail('path_traversal');
  return path + query;
}

const verdictOf = (run: () => string): string => {
  try {
    return `ok ${run()}`;
  } catch (error) {
    return `refused ${isStellaError(error) ? error.code : (error as { code?: string }).code}`;
  }
};

test('property: checkRequestTarget fast paths give the same verdict as every scan', () => {
  const char = fc.constantFrom(
    ...'/.%2eE5cCf0a?\\~-_:@'.split(''),
    '%2e',
    '%2F',
    '%00',
    '%41',
    '..',
  );
  fc.assert(
    fc.property(
      fc.array(char, { maxLength: 14 }).map((c) => `/${c.join('')}`),
      (target) => {
        const fast = verdictOf(() => {
          const { path, query } = checkRequestTarget(target);
          return path + query;
        });
        assert.equal(
          fast,
          verdictOf(() => referenceTarget(target)),
          target,
        );
      },
    ),
    { numRuns: 2000 },
  );
});

describe('upstream headers built in one object', () => {
  test('spoofed reserved and Connection-listed fields never survive; identity wins', () => {
    const out = filterRequestHeaders({
      'content-type': 'application/json',
      'x-stellaops-tenant': 'evil',
      'x-stellaops-identity': 'forged',
      'client-cert': ':AAAA:',
      'x-correlation-id': 'spoof',
      connection: 'keep-alive, x-drop-me',
      'x-drop-me': '1',
      'x-multi': ['a', 'b'],
    });
    assert.deepEqual(out, { 'content-type': 'application/json', 'x-multi': 'a, b' });
    const same = identityHeaders(
      {
        correlationId: 'c1',
        traceparent: 't',
        address: '10.0.0.1',
        tenant: 'acme',
        clientId: 'ci',
        scopes: ['b', 'a'],
      },
      out,
    );
    assert.equal(same, out);
    assert.deepEqual(out, {
      'content-type': 'application/json',
      'x-multi': 'a, b',
      'x-correlation-id': 'c1',
      traceparent: 't',
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-stellaops-tenant': 'acme',
      'x-stellaops-client': 'ci',
      'x-stellaops-scopes': 'a b',
    });
  });

  test('sorted scopes are memoised only for frozen arrays', () => {
    const frozen = Object.freeze(['z', 'a']);
    assert.equal(sortedScopes(frozen), 'a z');
    assert.equal(sortedScopes(frozen), 'a z');
    const open = ['z', 'a'];
    assert.equal(sortedScopes(open), 'a z');
    open.push('b');
    assert.equal(sortedScopes(open), 'a b z');
  });
});

describe('authenticator input through the real gateway', () => {
  let f: Fixture;
  before(async () => {
    f = await createFixture();
  });
  after(() => f.close());

  test('two DPoP fields are still seen as two (RFC 9449 §4.3 (1)) → 401 invalid_dpop_proof', async () => {
    const headers = await f.dpopHeaders('POST', '/api/v1/signer/sign/dsse');
    const res = await f.service.app.inject({
      method: 'POST',
      url: '/api/v1/signer/sign/dsse',
      headers: {
        host: HOST,
        'content-type': 'application/json',
        authorization: headers['authorization'] as string,
        dpop: [headers['dpop'] as string, headers['dpop'] as string],
      },
      payload: '{}',
    });
    assert.equal(res.statusCode, 401, res.body);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'invalid_dpop_proof');
  });

  test('two Authorization fields are refused, never the first one used', async () => {
    const headers = await f.dpopHeaders('POST', '/api/v1/signer/sign/dsse');
    const res = await f.service.app.inject({
      method: 'POST',
      url: '/api/v1/signer/sign/dsse',
      headers: {
        host: HOST,
        'content-type': 'application/json',
        // Repeated on the wire (light-my-request writes one field per array element).
        authorization: [headers['authorization'] as string, headers['authorization'] as string],
        dpop: headers['dpop'] as string,
      } as Record<string, string | string[]>,
      payload: '{}',
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'invalid_request');
  });
});
