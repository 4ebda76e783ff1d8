import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isStellaError, s } from '@stella/core';
import { loadConfig } from '../src/config.ts';

const schema = s.object({
  gateway: s.object({
    port: s.integer({ min: 1, max: 65535 }),
    externalUrl: s.optional(s.string({ pattern: /^https:\/\// })),
    requireNonce: s.optional(s.boolean(), true),
    audiences: s.optional(s.array(s.string()), ['signer']),
    weight: s.optional(s.number()),
  }),
  authority: s.optional(
    s.object({
      tokenLifetimeSeconds: s.optional(s.integer({ min: 1, max: 300 }), 120),
      signingKey: s.optional(s.secretRef()),
    }),
    {},
  ),
  databaseUrl: s.optional(s.string()),
});

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stella-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function configError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isStellaError(error), 'expected a StellaError');
    assert.equal(error.code, 'invalid_config');
    assert.equal(error.description, 'the configuration is invalid');
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.equal(error.stack, error.message, 'no stack trace');
    return error.message;
  }
  assert.fail('accepted');
}

describe('loadConfig', () => {
  it('reads YAML, applies defaults and deep-freezes', async () => {
    const path = await file('ok.yaml', 'gateway:\n  port: 8443\n');
    const config = await loadConfig({ schema, file: path, env: {} });
    assert.deepEqual(config, {
      gateway: { port: 8443, requireNonce: true, audiences: ['signer'] },
      authority: { tokenLifetimeSeconds: 120 },
    });
    assert.ok(Object.isFrozen(config.gateway.audiences));
    assert.throws(() => {
      (config.gateway as { port: number }).port = 1;
    }, TypeError);
  });

  it('reads JSON as YAML', async () => {
    const path = await file('ok.json', '{"gateway":{"port":443,"weight":0.5}}');
    const config = await loadConfig({ schema, file: path, env: {} });
    assert.equal(config.gateway.weight, 0.5);
  });

  it('applies STELLA_ environment overrides with schema coercion', async () => {
    const path = await file('env.yaml', 'gateway:\n  port: 8443\n  requireNonce: true\n');
    const config = await loadConfig({
      schema,
      file: path,
      env: {
        STELLA_GATEWAY__PORT: '9443',
        STELLA_GATEWAY__REQUIRE_NONCE: 'false',
        STELLA_GATEWAY__AUDIENCES: 'signer, attestor',
        STELLA_GATEWAY__WEIGHT: '1.5e0',
        STELLA_AUTHORITY__TOKEN_LIFETIME_SECONDS: '60',
        STELLA_AUTHORITY__SIGNING_KEY: 'file:/run/secrets/key.pem',
        STELLA_DATABASE_URL: 'postgres://db/stella',
        STELLA_CONFIG: '/etc/stella.yaml',
        STELLA_TEST_DATABASE_URL: 'ignored',
        PATH: '/usr/bin',
      },
    });
    assert.deepEqual(config, {
      gateway: { port: 9443, requireNonce: false, audiences: ['signer', 'attestor'], weight: 1.5 },
      authority: { tokenLifetimeSeconds: 60, signingKey: 'file:/run/secrets/key.pem' },
      databaseUrl: 'postgres://db/stella',
    });
  });

  it('builds from env alone when no file is given, and takes JSON arrays', async () => {
    const config = await loadConfig({
      schema,
      env: { STELLA_GATEWAY__PORT: '1', STELLA_GATEWAY__AUDIENCES: '["a,b"]' },
    });
    assert.deepEqual(config.gateway.audiences, ['a,b']);
  });

  it('names the path and the bound, never the value', async () => {
    const path = await file('big.yaml', 'gateway:\n  port: 70000\n');
    assert.equal(
      await configError(loadConfig({ schema, file: path, env: {} })),
      'config error: gateway.port: expected integer ≤ 65535',
    );
  });

  it('refuses unknown keys and counts the rest', async () => {
    const path = await file('unknown.yaml', 'gateway:\n  port: 1\n  prot: 2\nextra: 1\n');
    assert.equal(
      await configError(loadConfig({ schema, file: path, env: {} })),
      'config error: extra: unknown key (and 1 more)',
    );
  });

  it('refuses a bad or unknown environment override', async () => {
    const path = await file('base.yaml', 'gateway:\n  port: 1\n');
    const cases: [Record<string, string>, string][] = [
      [{ STELLA_GATEWAY__PORT: '80x' }, 'STELLA_GATEWAY__PORT (gateway.port): expected integer'],
      [{ STELLA_GATEWAY__PORT: '1e3' }, 'STELLA_GATEWAY__PORT (gateway.port): expected integer'],
      [
        { STELLA_GATEWAY__REQUIRE_NONCE: 'yes' },
        'STELLA_GATEWAY__REQUIRE_NONCE (gateway.requireNonce): expected true or false',
      ],
      [
        { STELLA_GATEWAY__REQUIRE_NONSE: 'false' },
        'STELLA_GATEWAY__REQUIRE_NONSE ($): does not match any configuration key',
      ],
      [{ STELLA_GATEWAY: '{}' }, 'gateway.port: required'],
      [
        { STELLA_AUTHORITY__SIGNING_KEY: 's3cr3t-value' },
        'authority.signingKey: expected secret reference (file:|env:|docker:|k8s:|vault:)',
      ],
      [
        { STELLA_GATEWAY__AUDIENCES: '[1' },
        'STELLA_GATEWAY__AUDIENCES (gateway.audiences): expected JSON array',
      ],
    ];
    for (const [env, expected] of cases) {
      const message = await configError(loadConfig({ schema, file: path, env }));
      assert.equal(message, `config error: ${expected}`);
      assert.ok(!message.includes('s3cr3t'));
    }
  });

  it('refuses YAML duplicate keys, aliases, anchors, tags and non-string keys', async () => {
    const cases: [string, RegExp][] = [
      ['gateway:\n  port: 1\n  port: 2\n', /DUPLICATE_KEY/],
      ['base: &b\n  port: 1\ngateway: *b\n', /anchors|aliases/],
      ['gateway: &g\n  port: 1\n', /anchors are not allowed/],
      ['gateway:\n  port: !!int 1\n', /tags are not allowed \(line 2\)/],
      ['gateway:\n  port: !custom 1\n', /YAML/],
      ['gateway:\n  1: 2\n', /keys must be strings/],
      ['? [a]\n: 1\n', /keys must be strings/],
      ['- 1\n- 2\n', /must be a mapping/],
      ['gateway: [1\n', /invalid YAML/],
      ['gateway:\n  <<: {port: 1}\n', /unknown key/],
      ['__proto__:\n  port: 1\ngateway:\n  port: 1\n', /__proto__|unknown key|expected object/],
    ];
    for (const [text, pattern] of cases) {
      const path = await file('bad.yaml', text);
      assert.match(await configError(loadConfig({ schema, file: path, env: {} })), pattern, text);
    }
    assert.equal(({} as Record<string, unknown>)['port'], undefined);
  });

  it('refuses missing, oversized and non-UTF-8 files', async () => {
    assert.match(
      await configError(loadConfig({ schema, file: join(dir, 'missing.yaml'), env: {} })),
      /cannot read the configuration file \(ENOENT\)/,
    );
    const big = await file('big2.yaml', `gateway:\n  port: 1\n#${'x'.repeat(2000)}\n`);
    assert.match(
      await configError(loadConfig({ schema, file: big, env: {}, maxFileBytes: 100 })),
      /larger than 100 bytes/,
    );
    const latin1 = await file('latin1.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    assert.match(
      await configError(loadConfig({ schema, file: latin1, env: {} })),
      /not valid UTF-8/,
    );
  });

  it('property: arbitrary YAML text is loaded or refused with invalid_config only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom(...'gatewy:port \n-[]{}&*!#1"\'<?|>') }),
        async (text) => {
          const path = await file('fuzz.yaml', text);
          try {
            await loadConfig({ schema, file: path, env: {} });
          } catch (error) {
            assert.ok(isStellaError(error) && error.code === 'invalid_config', String(error));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
