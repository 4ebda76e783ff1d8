export {
  authorityDefaults,
  maxAccessTokenLifetimeSeconds,
  resolveAuthorityConfig,
} from './defaults.ts';
export type { AuthorityConfig, RateLimit } from './defaults.ts';
export { authorityErrorCodes, authorityError, toOAuthError } from './errors.ts';
export type { AuthorityErrorCode, OAuthErrorResponse } from './errors.ts';
export { authorityMigrations } from './migrations.ts';
export { createAuthorityService } from './service.ts';
export type {
  AuthorityService,
  AuthorityServiceOptions,
  AuthorityHttpsOptions,
} from './service.ts';
export type { NewClient, ClientAuthMethod, ClientRecord, TenantRecord } from './client-registry.ts';
export { hashClientSecret } from './client-auth/client-secret.ts';
export { scopeCatalogue } from './scopes.ts';
export type { Scope } from './scopes.ts';
export { discoveryDocument } from './routes/discovery-routes.ts';
export { parseFormBody } from './form-body.ts';
