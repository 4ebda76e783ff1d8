import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  createCertificateAuthority,
  issueServiceIdentity,
  issueClientCertificate,
} from '../src/pki/platform-ca.ts';

test('service identities chain to the platform CA and carry SPIFFE + loopback SANs', async () => {
  const ca = await createCertificateAuthority('stella.test');
  const id = await issueServiceIdentity(ca, 'stella.test', 'attestor');
  const cert = new X509Certificate(id.certPem);
  assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
  assert.match(cert.subjectAltName ?? '', /URI:spiffe:\/\/stella\.test\/svc\/attestor/);
  assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(cert.ca, false);
  assert.equal(new X509Certificate(ca.certPem).ca, true);
});

test('mutual TLS handshake succeeds with platform certs and fails with a foreign CA', async () => {
  const ca = await createCertificateAuthority('stella.test');
  const server = await issueServiceIdentity(ca, 'stella.test', 'authority');
  const client = await issueClientCertificate(ca, 'ci-bot');
  const foreignCa = await createCertificateAuthority('evil.test');
  const foreign = await issueClientCertificate(foreignCa, 'ci-bot');

  const srv = createServer({
    key: server.keyPem,
    cert: server.certPem,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const peers: string[] = [];
  srv.on('secureConnection', (socket: TLSSocket) => {
    peers.push(socket.getPeerCertificate().subjectaltname ?? '');
    socket.end('ok');
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  const attempt = (key: string, cert: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        key,
        cert,
        ca: ca.certPem,
        servername: 'localhost',
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  try {
    assert.equal(await attempt(client.keyPem, client.certPem), 'ok');
    assert.deepEqual(peers, ['URI:urn:stellaops:client:ci-bot']);
    // TLS 1.3 completes the client's side of the handshake before the server's alert arrives, so
    // the refusal shows up either as a socket error or as a closed connection with no data.
    const refused = await attempt(foreign.keyPem, foreign.certPem).catch(() => 'refused');
    assert.notEqual(refused, 'ok');
    assert.equal(peers.length, 1);
  } finally {
    srv.close();
  }
});
