import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { clientCertHeader, clientUri, createTestCa, serviceUri } from '../src/index.ts';

describe('test PKI', () => {
  it('issues leaves signed by the CA with the requested SANs and usage', async () => {
    const ca = await createTestCa({ name: 'unit CA' });
    const leaf = await ca.issue('svc', {
      uris: [serviceUri('signer', 'test.local')],
      dns: ['signer.internal'],
      ips: ['10.0.0.1'],
      usage: 'server',
    });
    const caX = new X509Certificate(ca.cert);
    const leafX = new X509Certificate(leaf.cert);
    assert.equal(caX.ca, true);
    assert.equal(leafX.ca, false);
    assert.equal(leafX.checkIssued(caX), true);
    assert.equal(leafX.verify(caX.publicKey), true);
    assert.deepEqual(Buffer.from(leaf.der), leafX.raw);
    assert.match(leafX.subjectAltName ?? '', /URI:spiffe:\/\/test\.local\/svc\/signer/);
    assert.match(leafX.subjectAltName ?? '', /DNS:signer\.internal/);
    assert.match(leafX.subjectAltName ?? '', /IP Address:10\.0\.0\.1/);
    assert.doesNotMatch(leafX.subjectAltName ?? '', /localhost/);
    assert.deepEqual(leafX.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leafX.checkPrivateKey(createPrivateKey(leaf.key)), true);
  });

  it('a leaf from another CA does not verify against this CA', async () => {
    const [a, b] = await Promise.all([createTestCa(), createTestCa()]);
    const foreign = new X509Certificate((await b.issue('x')).cert);
    assert.equal(foreign.verify(new X509Certificate(a.cert).publicKey), false);
  });

  it('completes a real mutual-TLS handshake with default SANs', async () => {
    const ca = await createTestCa();
    const server = await ca.issue('server', { usage: 'server' });
    const client = await ca.issue('client', { uris: [clientUri('ci')], usage: 'client' });
    const listener = createServer({
      key: server.key,
      cert: server.cert,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peerSan = new Promise<string | undefined>((resolve) => {
      listener.once('secureConnection', (socket) => {
        resolve(socket.getPeerCertificate().subjectaltname);
        socket.end();
      });
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    try {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: ca.cert,
        key: client.key,
        cert: client.cert,
      });
      await once(socket, 'secureConnect');
      assert.equal(socket.authorized, true);
      assert.match((await peerSan) ?? '', /URI:urn:stellaops:client:ci/);
      socket.destroy();
    } finally {
      listener.close();
      await once(listener, 'close');
    }
  });

  it('formats the RFC 9440 Client-Cert header as an RFC 8941 byte sequence', () => {
    assert.equal(clientCertHeader(new Uint8Array([1, 2, 255])), ':AQL/:');
  });
});
