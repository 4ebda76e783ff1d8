import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLogger, createPinoLogger } from '../src/logger.ts';
import { isSensitiveKey, scrubSensitive } from '../src/scrub.ts';
import { Secret } from '../src/secrets/secret.ts';

const SECRET = 'Sup3r-S3cret-Value-123';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('redacts credential headers and keys at any depth', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', destination, base: { service: 'gateway' } });
    logger.info(
      {
        authorization: `DPoP ${SECRET}`,
        dpop: SECRET,
        cookie: SECRET,
        'client-cert': SECRET,
        req: {
          method: 'POST',
          headers: {
            authorization: `Bearer ${SECRET}`,
            DPoP: SECRET,
            'Client-Cert': SECRET,
            host: 'h',
          },
        },
        request: { headers: { 'set-cookie': [SECRET], 'x-stellaops-identity': SECRET } },
        config: {
          vault: {
            clientSecret: SECRET,
            nested: [{ apiPassword: SECRET }, { refresh_token: SECRET }],
          },
        },
        accessToken: SECRET,
        tokenId: 'jti-123',
        secretDigest: 'sha256:abc',
        keyRef: 'file:/run/key',
        heldSecret: new Secret(new TextEncoder().encode(SECRET), 'env:K'),
        other: { value: new Secret(new TextEncoder().encode(SECRET), 'env:K') },
      },
      'request received',
    );
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.ok(!line.includes(SECRET), line);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed['level'], 'info');
    assert.equal(parsed['service'], 'gateway');
    assert.equal(parsed['tokenId'], 'jti-123');
    assert.equal(parsed['secretDigest'], 'sha256:abc');
    assert.equal(parsed['authorization'], '[redacted]');
    assert.deepEqual(parsed['req'], {
      method: 'POST',
      headers: {
        authorization: '[redacted]',
        DPoP: '[redacted]',
        'Client-Cert': '[redacted]',
        host: 'h',
      },
    });
    assert.deepEqual(parsed['other'], { value: '[redacted]' });
  });

  it('scrubs child bindings too, and keeps correlation ids', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination }).child({
      password: SECRET,
      correlationId: 'corr-12345678',
    });
    logger.warn({ ok: true });
    assert.ok(!lines.join('').includes(SECRET));
    assert.equal(
      (JSON.parse(lines[0]!) as Record<string, unknown>)['correlationId'],
      'corr-12345678',
    );
  });

  it('honours the level and exposes a pino instance for fastify', () => {
    const { lines, destination } = capture();
    const logger = createPinoLogger({ level: 'warn', destination });
    logger.info({ a: 1 }, 'dropped');
    logger.error({ a: 2 }, 'kept');
    assert.equal(lines.length, 1);
    assert.equal(typeof logger.level, 'string');
  });

  it('survives cycles and does not mutate the logged object', () => {
    const { lines, destination } = capture();
    const value: Record<string, unknown> = { token: SECRET };
    value['self'] = value;
    createLogger({ destination }).info({ value });
    assert.equal(value['token'], SECRET);
    assert.ok(!lines.join('').includes(SECRET));
  });

  it('property: a sensitive key at any depth never leaks its value', () => {
    const sensitive = fc.constantFrom(
      'password',
      'secret',
      'token',
      'authorization',
      'dpop',
      'cookie',
      'client-cert',
      'xApiToken',
      'db_password',
    );
    const key = fc.string({ unit: fc.constantFrom(...'abcXYZ_-') });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 6 }), sensitive, (path, leaf) => {
        const { lines, destination } = capture();
        let obj: Record<string, unknown> = { [leaf]: SECRET };
        for (const k of path.reverse())
          obj = { [k === '' ? 'k' : k]: Array.isArray(obj) ? obj : [obj] };
        createLogger({ destination }).info(obj);
        assert.ok(!lines.join('').includes(SECRET));
      }),
    );
  });
});

describe('isSensitiveKey', () => {
  it('redacts credentials and keeps identifiers', () => {
    for (const key of [
      'password',
      'clientSecret',
      'access_token',
      'Authorization',
      'DPoP',
      'cookie',
      'client-cert',
      'privateKey',
      'apiKey',
    ]) {
      assert.ok(isSensitiveKey(key), key);
    }
    for (const key of [
      'tokenId',
      'token_id',
      'secretRef',
      'secretDigest',
      'tokenType',
      'correlationId',
      'tenant',
    ]) {
      assert.ok(!isSensitiveKey(key), key);
    }
  });
  it('scrubSensitive copies and leaves primitives alone', () => {
    assert.equal(scrubSensitive(5), 5);
    assert.deepEqual(scrubSensitive({ a: [{ password: 'x' }] }), {
      a: [{ password: '[redacted]' }],
    });
  });
});
