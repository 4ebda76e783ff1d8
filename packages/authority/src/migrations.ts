/**
 * The Authority schema (PLATFORM.md §7, svc-contract). Platform tables (tenants, clients, signing
 * keys, revocation state) have no tenant column and are shared by every replica; the per-token
 * revocation list is tenant-owned and under row-level security so one tenant's revocations are
 * invisible in another tenant's transaction. Private key material is never stored here — only
 * a secret reference (`file:`, `env:`, …) that each replica resolves (PLATFORM.md §7 "Secrets").
 */
import type { Migration } from '@stella/core';

const tenants = `
CREATE TABLE authority_tenants (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON authority_tenants TO stella_app;
`;

const clients = `
CREATE TABLE authority_clients (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
  tenants text[] NOT NULL,
  allowed_scopes text[] NOT NULL,
  allowed_audiences text[] NOT NULL,
  auth_method text NOT NULL
    CHECK (auth_method IN ('private_key_jwt', 'tls_client_auth', 'client_secret_basic')),
  jwks jsonb,
  trust_roots text[],
  secret_hash text,
  dpop_bound_access_tokens boolean NOT NULL DEFAULT true,
  service_identity text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CHECK (
    (auth_method = 'private_key_jwt' AND jwks IS NOT NULL) OR
    (auth_method = 'tls_client_auth' AND trust_roots IS NOT NULL) OR
    (auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL)
  )
);
GRANT SELECT, INSERT, UPDATE ON authority_clients TO stella_app;
`;

const signingKeys = `
CREATE TABLE authority_signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
  public_jwk jsonb NOT NULL,
  secret_ref text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'retired')),
  created_at timestamptz NOT NULL,
  activated_at timestamptz NOT NULL,
  retire_after timestamptz
);
CREATE UNIQUE INDEX authority_signing_keys_one_active
  ON authority_signing_keys (state) WHERE state = 'active';
GRANT SELECT, INSERT, UPDATE ON authority_signing_keys TO stella_app;
`;

// One row; \`sequence\` increments in the same transaction as every revocation change, so it is
// monotonic across replicas and survives restarts (PLATFORM.md §2 /revocations).
const revocationState = `
CREATE TABLE authority_revocation_state (
  id smallint PRIMARY KEY CHECK (id = 1),
  sequence bigint NOT NULL,
  changed_at timestamptz NOT NULL,
  -- The signed bundle for (bundle_sequence, bundle_kid). ECDSA signatures are randomized, so the
  -- first replica to sign a state stores its JWS and every replica serves those exact bytes.
  bundle_sequence bigint,
  bundle_kid text,
  bundle_jws text
);
INSERT INTO authority_revocation_state (id, sequence, changed_at)
  VALUES (1, 0, '1970-01-01T00:00:00Z');
GRANT SELECT, UPDATE ON authority_revocation_state TO stella_app;
`;

const revokedTokens = `
CREATE TABLE authority_revoked_tokens (
  tenant text NOT NULL,
  jti text NOT NULL,
  client_id text NOT NULL,
  exp timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, jti)
);
ALTER TABLE authority_revoked_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE authority_revoked_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY authority_revoked_tokens_tenant ON authority_revoked_tokens
  USING (tenant = current_setting('stella.tenant', true))
  WITH CHECK (tenant = current_setting('stella.tenant', true));
GRANT SELECT, INSERT, DELETE ON authority_revoked_tokens TO stella_app;
`;

export const authorityMigrations: readonly Migration[] = Object.freeze([
  { id: 'authority/0001-tenants', sql: tenants },
  { id: 'authority/0002-clients', sql: clients },
  { id: 'authority/0003-signing-keys', sql: signingKeys },
  { id: 'authority/0004-revocation-state', sql: revocationState },
  { id: 'authority/0005-revoked-tokens', sql: revokedTokens },
]);
