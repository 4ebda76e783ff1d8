/**
 * The platform's default route table (PLATFORM.md §2, §5, §6): exactly the surfaces a client
 * needs. Deliberately absent: `POST /api/v1/attestor/entries` (signer → attestor on the private
 * network only) and every `/internal/*` admin path.
 */
import { parseRouteTable } from './routes.ts';
import type { RouteDefinition } from './routes.ts';

const MiB = 1024 * 1024;
const JSON_TYPES = ['application/json'];
const FORM = ['application/x-www-form-urlencoded'];

/** Upstream names the default table refers to. */
export const DEFAULT_UPSTREAMS = ['authority', 'signer', 'attestor'] as const;

const authorityPublic = (name: string, path: string, methods: string[], prefix = false) => ({
  name,
  path,
  prefix,
  methods,
  upstream: 'authority',
  auth: 'public',
  audience: 'authority',
  // The Authority authenticates these itself (client auth, DPoP at /token); mTLS-bound clients
  // need their verified certificate forwarded (RFC 8705 via RFC 9440).
  forwardClientCert: true,
  bodyCapBytes: methods.includes('POST') ? 64 * 1024 : 0,
  contentTypes: methods.includes('POST') ? FORM : [],
});

export const defaultRouteInput: readonly Record<string, unknown>[] = [
  authorityPublic('authority-token', '/token', ['POST']),
  authorityPublic('authority-introspect', '/introspect', ['POST']),
  authorityPublic('authority-revoke', '/revoke', ['POST']),
  authorityPublic('authority-jwks', '/jwks', ['GET', 'HEAD']),
  authorityPublic('authority-revocations', '/revocations', ['GET', 'HEAD']),
  authorityPublic('authority-well-known', '/.well-known/', ['GET', 'HEAD'], true),
  {
    name: 'signer-sign-dsse',
    path: '/api/v1/signer/sign/dsse',
    methods: ['POST'],
    upstream: 'signer',
    auth: 'token',
    audience: 'signer',
    scopes: ['signer:sign'],
    tenantRequired: true,
    nonceRequired: true,
    bodyCapBytes: 8 * MiB, // inline subject `content` is base64 and size-capped by the signer
    contentTypes: JSON_TYPES,
  },
  {
    // Public keys: anyone verifying a signature needs them; still rate-limited per address.
    name: 'signer-keys',
    path: '/api/v1/signer/keys',
    methods: ['GET', 'HEAD'],
    upstream: 'signer',
    auth: 'public',
    audience: 'signer',
    bodyCapBytes: 0,
  },
  {
    name: 'evidence-put',
    path: '/api/v1/evidence',
    methods: ['PUT'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['evidence:write'],
    tenantRequired: true,
    bodyCapBytes: 64 * MiB,
    contentTypes: [
      'application/octet-stream',
      'application/json',
      'application/vnd.in-toto+json',
      'application/vnd.dsse.envelope.v1+json',
      'application/vnd.cyclonedx+json',
      'application/spdx+json',
    ],
  },
  {
    name: 'evidence-get',
    path: '/api/v1/evidence/',
    prefix: true,
    methods: ['GET', 'HEAD'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['evidence:read'],
    tenantRequired: true,
    bodyCapBytes: 0,
  },
  {
    name: 'attestor-verify',
    path: '/api/v1/attestor/verify',
    methods: ['POST'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['attestor:verify'],
    tenantRequired: true,
    bodyCapBytes: 4 * MiB,
    contentTypes: JSON_TYPES,
  },
  {
    // GET only: `POST /api/v1/attestor/entries` (append) is private and answered 405 here.
    name: 'attestor-entries-search',
    path: '/api/v1/attestor/entries',
    methods: ['GET', 'HEAD'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['attestor:read'],
    tenantRequired: true,
    bodyCapBytes: 0,
  },
  {
    name: 'attestor-entries-get',
    path: '/api/v1/attestor/entries/',
    prefix: true,
    methods: ['GET', 'HEAD'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['attestor:read'],
    tenantRequired: true,
    bodyCapBytes: 0,
  },
  {
    name: 'attestor-log',
    path: '/api/v1/attestor/log/',
    prefix: true,
    methods: ['GET', 'HEAD'],
    upstream: 'attestor',
    auth: 'token',
    audience: 'attestor',
    scopes: ['attestor:read'],
    tenantRequired: true,
    bodyCapBytes: 0,
  },
];

/** The validated default table. */
export function defaultRoutes(): readonly RouteDefinition[] {
  return parseRouteTable(defaultRouteInput, DEFAULT_UPSTREAMS);
}
