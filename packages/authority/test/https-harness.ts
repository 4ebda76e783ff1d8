/**
 * A real HTTPS Authority on 127.0.0.1 with a test CA (mTLS listener, `rejectUnauthorized: false`
 * so per-client trust roots are checked in-app), the platform's clock at wall time (certificates
 * are validated both by TLS and by the injected clock), and the SQL audit chain on the same
 * PGlite database so `/internal/audit` has something to read.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { manualClock } from '@stella/core';
import { createPgliteDatabase, createSqlAuditSink } from '@stella/storage';
import type { AuthorityConfig } from '@stella/authority';
import { createTestCa, serviceUri } from '@stella/testkit';
import type { TestCa } from '@stella/testkit';
import { createHarness } from './support.ts';
import type { Harness } from './support.ts';

/** The default configuration's trust domain (`src/defaults.ts`). */
export const TRUST_DOMAIN = 'stella.local';

export interface HttpsHarness extends Harness {
  baseUrl: string;
  /** The CA that issued the server certificate; it is the listener's client CA too. */
  ca: TestCa;
}

/** A port that was free a moment ago (for an issuer URL that must be known before listening). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * An Authority whose issuer names its own port: the port must be chosen before the service is
 * built, so another test may take it in between — retry on EADDRINUSE with a new port.
 */
export async function startHttpsAuthorityWithIssuerPort(
  config: Partial<AuthorityConfig> = {},
): Promise<HttpsHarness> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await startHttpsAuthority(
        { ...config, issuer: `https://127.0.0.1:${port}` },
        undefined,
        port,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

export async function startHttpsAuthority(
  config: Partial<AuthorityConfig> = {},
  ca?: TestCa,
  listenPort = 0,
): Promise<HttpsHarness> {
  const caFull = ca ?? (await createTestCa({ name: 'authority test CA' }));
  const server = await caFull.issue('authority', {
    uris: [serviceUri('authority', TRUST_DOMAIN)],
    usage: 'server',
  });
  const clock = manualClock(Date.now());
  const db = createPgliteDatabase({ dataDir: 'memory://' });
  const h = await createHarness({
    config,
    clock,
    db,
    forwardAudit: createSqlAuditSink({ db, clock }),
    https: {
      key: server.key,
      cert: server.cert,
      ca: caFull.cert,
      requestCert: true,
      rejectUnauthorized: false,
    },
  });
  try {
    await h.service.app.listen({ host: '127.0.0.1', port: listenPort });
  } catch (error) {
    await h.close();
    await db.close();
    throw error;
  }
  const { port } = h.service.app.server.address() as AddressInfo;
  return {
    ...h,
    ca: caFull,
    baseUrl: `https://127.0.0.1:${port}`,
    async close() {
      await h.close();
      await db.close();
    },
  };
}
