/**
 * `client_secret_basic` (RFC 6749 §2.3.1) for clients registered with a secret. The secret is
 * stored only as an scrypt hash (RFC 7914) `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>` and
 * compared in constant time. Unknown clients are checked against a dummy hash so the response
 * time does not reveal whether a client id exists.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { authorityError } from '../errors.ts';

const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const HASH =
  /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

function derive(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

/** Hashes a client secret for registration. */
export async function hashClientSecret(secret: string): Promise<string> {
  if (secret.length < 16) throw new TypeError('client secrets must be at least 16 characters');
  const salt = randomBytes(16);
  const key = await derive(secret, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

// A fixed, valid hash of a random secret: verifying against it costs the same as a real check.
const DUMMY_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;

/** Constant-time verification; a malformed stored hash fails closed. */
export async function verifyClientSecret(
  secret: string,
  stored: string | undefined,
): Promise<boolean> {
  const match = HASH.exec(stored ?? DUMMY_HASH) ?? HASH.exec(DUMMY_HASH);
  if (match === null) return false;
  const [, n, r, p, salt, hash] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const N = Number(n);
  if (N !== PARAMS.N || Number(r) !== PARAMS.r || Number(p) !== PARAMS.p) return false;
  const key = await derive(secret, Buffer.from(salt, 'base64url'), N, Number(r), Number(p));
  const expected = Buffer.from(hash, 'base64url');
  return expected.length === key.length && timingSafeEqual(key, expected) && stored !== undefined;
}

export interface BasicCredentials {
  clientId: string;
  secret: string;
}

/**
 * Parses an attacker-controlled `Authorization: Basic` value (RFC 7617 §2, with the RFC 6749
 * §2.3.1 form-urlencoding of id and secret). Returns undefined when the header is not Basic.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64');
  // RFC 4648 §4 canonical, padded base64 only: Node's decoder skips junk, so re-encode and compare.
  if (decoded.toString('base64') !== match[1]) {
    throw authorityError('invalid_client', { detail: 'basic: not canonical base64' });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(decoded);
  } catch {
    throw authorityError('invalid_client', { detail: 'basic: not UTF-8' });
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw authorityError('invalid_client', { detail: 'basic: no colon' });
  try {
    return {
      clientId: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw authorityError('invalid_client', { detail: 'basic: malformed encoding' });
  }
}
