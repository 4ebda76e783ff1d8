/**
 * A miniature platform around the signer for feature tests: a test Authority key (access tokens
 * minted with `jose`), a gateway identity + identity-envelope key (`@stella/auth`), and the
 * behind-the-gateway request verifier the signer runs with in production.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { Agent } from 'undici';
import {
  createAccessTokenVerifier,
  createNonceIssuer,
  createReplayCache,
  createRequestVerifier,
  createStaticJwks,
  signIdentityEnvelope,
  x5tS256,
} from '@stella/auth';
import type { RequestVerifier, VerificationKey as AuthVerificationKey } from '@stella/auth';
import type { Clock, KeyValueStore } from '@stella/core';
import { createTestCa } from '@stella/testkit';
import type { TestCa, TestCertificate } from '@stella/testkit';
import type { TokenSource } from '../../src/token-source.ts';

export const TRUST_DOMAIN = 'stella.test';
export const ISSUER = 'https://authority.stella.test';
export const GATEWAY_ID = `spiffe://${TRUST_DOMAIN}/svc/gateway`;
export const SIGNER_ID = `spiffe://${TRUST_DOMAIN}/svc/signer`;

export interface TokenOptions {
  readonly aud?: string;
  readonly scope?: string;
  readonly tid?: string | undefined;
  readonly clientId?: string;
  /** The certificate the token is bound to (RFC 8705 cnf.x5t#S256). */
  readonly boundTo?: Uint8Array;
}

export interface TestPlatform {
  readonly pki: TestCa;
  readonly gateway: TestCertificate;
  readonly signer: TestCertificate;
  readonly attestor: TestCertificate;
  /** The end client's certificate (CI job) its tokens are bound to. */
  readonly client: TestCertificate;
  readonly authorityPublicKey: KeyObject;
  mintAccessToken(options?: TokenOptions): Promise<{ token: string; jti: string }>;
  identityEnvelope(claims: {
    tid?: string;
    clientId: string;
    scope: string;
    jti: string;
    certDer: Uint8Array;
    cid: string;
  }): string;
  createVerifier(kv: KeyValueStore, clock: Clock): RequestVerifier;
  /** Gateway identity-envelope verification keys by kid. */
  readonly envelopeKeys: ReadonlyMap<string, AuthVerificationKey>;
  /** The signer's own tokens (audience attestor), a TokenSource fake that mints with `jose`. */
  readonly signerTokens: TokenSource & { readonly issued: number };
  /** An undici agent presenting the gateway's certificate (the gateway → signer hop). */
  gatewayAgent(): Agent;
  /** An undici agent presenting the signer's own certificate (signer → attestor hop). */
  signerAgent(): Agent;
}

export async function createTestPlatform(): Promise<TestPlatform> {
  const pki = await createTestCa();
  const gateway = await pki.issue('gateway', { uris: [GATEWAY_ID] });
  const signer = await pki.issue('signer', { uris: [SIGNER_ID] });
  const attestor = await pki.issue('attestor', { uris: [`spiffe://${TRUST_DOMAIN}/svc/attestor`] });
  const client = await pki.issue('ci-client', { uris: ['urn:stellaops:client:ci'] });
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const gatewayKey = generateKeyPairSync('ed25519');
  const authorityJwk = {
    ...authority.publicKey.export({ format: 'jwk' }),
    kid: 'authority-1',
    alg: 'ES256',
    use: 'sig',
  };
  const jwks = createStaticJwks({ keys: [authorityJwk] });
  const envelopeKeys = new Map<string, AuthVerificationKey>([
    ['gateway-1', { kid: 'gateway-1', alg: 'EdDSA', key: gatewayKey.publicKey }],
  ]);

  async function mintAccessToken(options: TokenOptions = {}) {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      client_id: options.clientId ?? 'ci',
      scope: options.scope ?? 'signer:sign',
      ...(options.tid === undefined ? {} : { tid: options.tid }),
      cnf: { 'x5t#S256': x5tS256(options.boundTo ?? client.der) },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'authority-1' })
      .setIssuer(ISSUER)
      .setSubject(options.clientId ?? 'ci')
      .setAudience(options.aud ?? 'signer')
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .setJti(jti)
      .sign(authority.privateKey);
    return { token, jti };
  }

  let issued = 0;
  const signerTokens = {
    get issued() {
      return issued;
    },
    async getToken(req: { tenant: string; audience: string; scope: string }) {
      issued += 1;
      const { token } = await mintAccessToken({
        aud: req.audience,
        scope: req.scope,
        tid: req.tenant,
        clientId: 'signer',
        boundTo: signer.der,
      });
      return token;
    },
  };

  return {
    pki,
    gateway,
    signer,
    attestor,
    client,
    authorityPublicKey: authority.publicKey,
    mintAccessToken,
    identityEnvelope({ tid, clientId, scope, jti, certDer, cid }) {
      const now = Math.floor(Date.now() / 1000);
      return signIdentityEnvelope(
        {
          iss: 'gateway',
          aud: 'signer',
          iat: now,
          exp: now + 30,
          ...(tid === undefined ? {} : { tid }),
          client_id: clientId,
          scope,
          jti,
          cnf: { 'x5t#S256': x5tS256(certDer) },
          cid,
        },
        gatewayKey.privateKey,
        'gateway-1',
      );
    },
    createVerifier(kv, clock) {
      return createRequestVerifier({
        audience: 'signer',
        externalUrl: 'https://gateway.stella.test',
        accessTokens: createAccessTokenVerifier({
          issuer: ISSUER,
          audience: 'signer',
          jwks,
          clock,
        }),
        replayCache: createReplayCache(kv, {
          prefix: `signer-test:${randomUUID()}:`,
          windowMs: 120_000,
        }),
        nonceIssuer: createNonceIssuer({ secret: randomBytes(32), clock }),
        requireNonce: true,
        clock,
        mode: 'behind-gateway',
        gateway: {
          identities: [GATEWAY_ID],
          envelopeKeys: new Map([
            ['gateway-1', { kid: 'gateway-1', alg: 'EdDSA', key: gatewayKey.publicKey }],
          ]),
        },
      });
    },
    envelopeKeys,
    signerTokens,
    gatewayAgent: () =>
      new Agent({ connect: { key: gateway.key, cert: gateway.cert, ca: pki.cert } }),
    signerAgent: () => new Agent({ connect: { key: signer.key, cert: signer.cert, ca: pki.cert } }),
  };
}
