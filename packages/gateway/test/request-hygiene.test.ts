import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStellaError } from '@stella/core';
import { checkHeaders, checkHost, checkRequestTarget } from '../src/request-hygiene.ts';
import { gatewayErrorCodes } from '../src/errors.ts';

const limits = { maxHeaderCount: 8, maxHeaderValueBytes: 64 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(isStellaError(error), 'only coded errors escape');
    return error.code;
  }
}

describe('checkRequestTarget', () => {
  test('accepts origin-form paths and queries', () => {
    assert.deepEqual(checkRequestTarget('/api/v1/evidence/sha256:ab?x=1&y=%20'), {
      path: '/api/v1/evidence/sha256:ab',
      query: '?x=1&y=%20',
    });
    assert.deepEqual(checkRequestTarget('/'), { path: '/', query: '' });
  });

  for (const [name, target, code] of [
    ['dot-dot', '/a/../b', 'path_traversal'],
    ['dot-dot-end', '/a/..', 'path_traversal'],
    ['dot', '/a/./b', 'path_traversal'],
    ['pct-dot-dot', '/a/%2e%2e/b', 'path_traversal'],
    ['pct-dot-mixed', '/a/.%2E/b', 'path_traversal'],
    ['pct-slash', '/a%2Fb', 'path_traversal'],
    ['pct-backslash', '/a%5cb', 'path_traversal'],
    ['backslash', '/a\\b', 'path_traversal'],
    ['nul-raw', '/a\u0000', 'path_traversal'],
    ['pct-nul', '/a%00b', 'path_traversal'],
    ['pct-nul-query', '/a?b=%00', 'path_traversal'],
    ['double-encoding', '/a/%252e%252e/', 'path_traversal'],
    ['encoded-unreserved', '/%61', 'path_traversal'],
    ['empty-segment', '//evil.example/x', 'path_traversal'],
    ['space', '/a b', 'path_traversal'],
    ['absolute-form', 'http://h/a', 'bad_request'],
    ['asterisk-form', '*', 'bad_request'],
    ['bad-pct', '/a%zz', 'bad_request'],
    ['fragment', '/a#b', 'path_traversal'],
  ] as const) {
    test(`refuses ${name}`, () =>
      assert.equal(
        codeOf(() => checkRequestTarget(target)),
        code,
      ));
  }

  test('property: anything accepted has no dot segment, encoded separator or NUL', () => {
    const alphabet = fc.constantFrom(
      '/',
      '.',
      '%',
      '2',
      'e',
      'E',
      'f',
      'F',
      '5',
      'c',
      '0',
      'a',
      '\\',
      '?',
      '\u0000',
      ' ',
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 24 }).map((a) => `/${a.join('')}`),
        (target) => {
          const code = codeOf(() => checkRequestTarget(target));
          if (code !== undefined) {
            assert.ok(code in gatewayErrorCodes);
            return;
          }
          const { path } = checkRequestTarget(target);
          const decoded = path.replace(/%([0-9a-f]{2})/gi, (_m, h: string) =>
            String.fromCharCode(parseInt(h, 16)),
          );
          assert.ok(!decoded.split('/').some((s) => s === '.' || s === '..'));
          assert.ok(!/%(2f|5c|2e|00|25)/i.test(path));
          assert.ok(!decoded.includes('\\') && !decoded.includes('\u0000'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('property: arbitrary strings never throw anything but coded errors', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        codeOf(() => checkRequestTarget(s));
      }),
    );
  });
});

describe('checkHeaders', () => {
  const base = ['Host', 'gw'];
  test('accepts ordinary headers', () => {
    assert.equal(
      codeOf(() => checkHeaders([...base, 'Content-Length', '3'], limits)),
      undefined,
    );
    assert.equal(
      codeOf(() => checkHeaders([...base, 'Transfer-Encoding', 'chunked'], limits)),
      undefined,
    );
  });
  for (const [name, raw, code] of [
    [
      'cl-and-te',
      [...base, 'Content-Length', '3', 'Transfer-Encoding', 'chunked'],
      'request_smuggling',
    ],
    [
      'cl-duplicate-same',
      [...base, 'Content-Length', '3', 'content-length', '3'],
      'request_smuggling',
    ],
    [
      'cl-duplicate-conflicting',
      [...base, 'Content-Length', '3', 'Content-Length', '4'],
      'request_smuggling',
    ],
    ['cl-not-digits', [...base, 'Content-Length', '3, 3'], 'request_smuggling'],
    ['cl-negative', [...base, 'Content-Length', '-1'], 'request_smuggling'],
    ['te-not-chunked', [...base, 'Transfer-Encoding', 'gzip, chunked'], 'request_smuggling'],
    [
      'te-duplicate',
      [...base, 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'],
      'request_smuggling',
    ],
    ['obs-fold', [...base, 'X-A', 'a\r\n b'], 'invalid_header'],
    ['lf-in-value', [...base, 'X-A', 'a\nb'], 'invalid_header'],
    ['nul-in-value', [...base, 'X-A', 'a\u0000b'], 'invalid_header'],
    ['del-in-value', [...base, 'X-A', 'a\u007fb'], 'invalid_header'],
    ['obs-text', [...base, 'X-A', 'caf\u00e9'], 'invalid_header'],
    ['bad-name', [...base, 'X A', 'b'], 'invalid_header'],
    [
      'too-many',
      [...base, ...Array.from({ length: 16 }, (_, i) => [`x-${i}`, 'v']).flat()],
      'headers_too_large',
    ],
    ['value-too-big', [...base, 'X-A', 'a'.repeat(65)], 'headers_too_large'],
    ['no-host', ['X-A', 'b'], 'bad_request'],
    ['two-hosts', [...base, 'Host', 'other'], 'bad_request'],
  ] as const) {
    test(`refuses ${name}`, () =>
      assert.equal(
        codeOf(() => checkHeaders(raw, limits)),
        code,
      ));
  }

  test('property: a value with any control character other than HTAB is refused', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 31 }).filter((c) => c !== 9),
        fc.string(),
        (a, c, b) => {
          const value = `${a}${String.fromCharCode(c)}${b}`;
          assert.ok(
            ['invalid_header', 'headers_too_large'].includes(
              codeOf(() => checkHeaders([...base, 'X-A', value], limits)) ?? '',
            ),
          );
        },
      ),
    );
  });
});

describe('checkHost', () => {
  test('matches case-insensitively, ignoring the port', () => {
    assert.equal(checkHost('GW.example:8443', ['gw.example']), 'gw.example');
  });
  for (const host of [
    'evil.example',
    'gw.example.evil',
    'gw.example@evil',
    'gw.example:99999x',
    '',
  ]) {
    test(`refuses ${JSON.stringify(host)} with 421`, () => {
      assert.equal(
        codeOf(() => checkHost(host, ['gw.example'])),
        'misdirected_request',
      );
    });
  }
  test('property: only allowed names pass', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (h) => {
        const code = codeOf(() => checkHost(h, ['gw.example']));
        if (code === undefined) assert.equal(h.toLowerCase().split(':')[0], 'gw.example');
      }),
    );
  });
});
