/**
 * Which address is "the client" for per-address limits and audit: the TCP peer, or — only from
 * a configured front door — its single-address X-Forwarded-For; spelled one way whether a
 * dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { canonicalAddress, clientAddressOf } from '../src/client-address.ts';

const requestFrom = (remoteAddress: string, xff?: string) =>
  ({
    raw: { socket: { remoteAddress } },
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  }) as unknown as FastifyRequest;

test('an IPv4-mapped peer matches a configured IPv4 front door (dual-stack listener)', () => {
  const proxies = new Set(['10.0.0.5'].map(canonicalAddress));
  assert.equal(
    clientAddressOf(requestFrom('::ffff:10.0.0.5', '203.0.113.9'), proxies),
    '203.0.113.9',
  );
  assert.equal(clientAddressOf(requestFrom('10.0.0.5', '203.0.113.9'), proxies), '203.0.113.9');
  // A mapped configuration entry works the same way.
  const mapped = new Set(['::FFFF:10.0.0.5'].map(canonicalAddress));
  assert.equal(clientAddressOf(requestFrom('10.0.0.5', '203.0.113.9'), mapped), '203.0.113.9');
});

test('anyone else, or a list or garbage in the header, keeps the peer as the client', () => {
  const proxies = new Set(['10.0.0.5']);
  assert.equal(clientAddressOf(requestFrom('::ffff:10.0.0.6', '203.0.113.9'), proxies), '10.0.0.6');
  assert.equal(clientAddressOf(requestFrom('10.0.0.5', '1.2.3.4, 5.6.7.8'), proxies), '10.0.0.5');
  assert.equal(clientAddressOf(requestFrom('10.0.0.5', 'evil'), proxies), '10.0.0.5');
  assert.equal(clientAddressOf(requestFrom('10.0.0.5'), proxies), '10.0.0.5');
  assert.equal(clientAddressOf(requestFrom('2001:DB8::1'), proxies), '2001:db8::1');
});

test('property: canonical form is idempotent and never turns a non-mapped address into IPv4', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), (a) => {
      const c = canonicalAddress(a);
      assert.equal(canonicalAddress(c), c);
      if (!/^::ffff:/i.test(a)) assert.equal(c, a.toLowerCase());
    }),
  );
});
