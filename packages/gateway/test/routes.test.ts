import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultRouteInput, defaultRoutes, DEFAULT_UPSTREAMS } from '../src/default-routes.ts';
import { parseRoute, parseRouteTable } from '../src/routes.ts';
import { matchRoute } from '../src/route-match.ts';

const valid = {
  name: 'r',
  path: '/api/x',
  methods: ['GET'],
  upstream: 'signer',
  auth: 'token',
  audience: 'signer',
  scopes: ['signer:sign'],
};

describe('route table config', () => {
  test('the default table validates and never routes the private append or /internal', () => {
    const routes = defaultRoutes();
    assert.ok(routes.length > 10);
    assert.equal(
      matchRoute(routes, 'h', 'POST', '/api/v1/attestor/entries').kind,
      'method_not_allowed',
    );
    assert.equal(matchRoute(routes, 'h', 'GET', '/internal/clients').kind, 'not_found');
    const sign = matchRoute(routes, 'h', 'POST', '/api/v1/signer/sign/dsse');
    assert.equal(sign.kind, 'match');
    if (sign.kind === 'match') {
      assert.deepEqual(
        [sign.route.audience, sign.route.scopes, sign.route.nonceRequired],
        ['signer', ['signer:sign'], true],
      );
    }
    const put = matchRoute(routes, 'h', 'PUT', '/api/v1/evidence');
    assert.ok(put.kind === 'match' && put.route.bodyCapBytes === 64 * 1024 * 1024);
  });

  for (const path of ['/internal', '/internal/', '/internal/keys', '/INTERNAL/keys', '/Internal']) {
    test(`refuses to declare ${path}`, () => {
      assert.throws(() => parseRoute({ ...valid, path }, 0), /internal/);
    });
  }

  for (const [name, mutation] of [
    ['unknown-key', { extra: 1 }],
    ['dot-segment', { path: '/a/../internal/x' }],
    ['encoded', { path: '/a%2fb' }],
    ['relative', { path: 'a' }],
    ['double-slash', { path: '//a' }],
    ['prefix-without-slash', { prefix: true }],
    ['bad-method', { methods: ['TRACE'] }],
    ['no-methods', { methods: [] }],
    ['token-without-scope', { scopes: [] }],
    ['public-with-scope', { auth: 'public' }],
    ['bad-auth', { auth: 'none' }],
    ['bad-cap', { bodyCapBytes: -1 }],
    ['bad-media-type', { contentTypes: ['json'] }],
    ['bad-limit', { rateLimits: { perClient: { limit: 0, windowMs: 1000 } } }],
    ['limit-unknown-key', { rateLimits: { perIp: { limit: 1, windowMs: 1000 } } }],
  ] as const) {
    test(`refuses ${name}`, () =>
      assert.throws(() => parseRoute({ ...valid, ...mutation }, 0), TypeError));
  }

  test('duplicate names and unknown upstreams are refused', () => {
    assert.throws(() => parseRouteTable([valid, valid], ['signer']), /duplicate/);
    assert.throws(() => parseRouteTable([valid], ['attestor']), /unknown upstream/);
    assert.throws(() => parseRouteTable([], ['signer']), /non-empty/);
  });

  test('property: no accepted route path can ever match under /internal', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[A-Za-z./%-]{0,20}$/), (path) => {
        let route;
        try {
          route = parseRoute({ ...valid, path, prefix: path.endsWith('/') }, 0);
        } catch {
          return;
        }
        assert.equal(
          route.path.toLowerCase().startsWith('/internal'),
          path.toLowerCase().startsWith('/internal')
            ? false
            : route.path.toLowerCase().startsWith('/internal'),
        );
        assert.equal(matchRoute([route], 'h', 'GET', '/internal/x').kind, 'not_found');
      }),
    );
  });

  test('the default input names only known upstreams', () => {
    for (const r of defaultRouteInput)
      assert.ok((DEFAULT_UPSTREAMS as readonly string[]).includes(String(r['upstream'])));
  });
});

describe('matchRoute', () => {
  const routes = parseRouteTable(
    [
      {
        ...valid,
        name: 'exact',
        path: '/a/b',
        methods: ['POST'],
        contentTypes: ['application/json'],
      },
      { ...valid, name: 'prefix', path: '/a/', prefix: true, methods: ['GET', 'HEAD'] },
      { ...valid, name: 'hosted', host: 'other.example', path: '/h', methods: ['GET'] },
    ],
    ['signer'],
  );
  test('exact beats prefix; prefix covers the bare path and below; segments are whole', () => {
    assert.deepEqual(matchRoute(routes, 'gw', 'POST', '/a/b'), { kind: 'match', route: routes[0] });
    assert.deepEqual(matchRoute(routes, 'gw', 'GET', '/a/b'), { kind: 'match', route: routes[1] });
    assert.deepEqual(matchRoute(routes, 'gw', 'GET', '/a'), { kind: 'match', route: routes[1] });
    assert.equal(matchRoute(routes, 'gw', 'GET', '/ab').kind, 'not_found');
    assert.deepEqual(matchRoute(routes, 'gw', 'DELETE', '/a/b'), {
      kind: 'method_not_allowed',
      allow: ['GET', 'HEAD', 'POST'],
    });
  });
  test('host-restricted routes match only their host', () => {
    assert.equal(matchRoute(routes, 'gw', 'GET', '/h').kind, 'not_found');
    assert.equal(matchRoute(routes, 'other.example', 'GET', '/h').kind, 'match');
  });
});
