import { createServer } from 'node:net';

/**
 * Resolves `0` ports to concrete free ports before anything is built: the external URL (DPoP
 * `htu`, token issuer) and the internal URLs must be known when services are composed.
 */
export async function resolvePort(port: number, host: string): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}
