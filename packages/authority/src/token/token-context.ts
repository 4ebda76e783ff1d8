/**
 * What flows through the `/token` steps. Each step reads what earlier steps established and adds
 * its own result; a step that refuses throws, and the runner names that step in logs and audit.
 */
import type { FormParams } from '../form-body.ts';
import type { AuthenticatedClient } from '../client-auth/authenticate-client.ts';
import type { Scope } from '../scopes.ts';
import type { IssuedAccessToken, TokenConfirmation } from './access-token.ts';

export interface TokenRequestInput {
  readonly params: FormParams;
  readonly authorization: string | undefined;
  /** Every `DPoP` header field value, in order (RFC 9449 §4.3 (1) needs the count). */
  readonly dpopProofs: readonly string[];
  readonly clientCertificate: Uint8Array | undefined;
  readonly address: string;
  readonly correlationId: string;
}

export interface TokenContext {
  readonly input: TokenRequestInput;
  /** From parseRequest: the audience as requested (`audience` or RFC 8707 `resource`). */
  requestedAudience?: string | undefined;
  requestedScopes?: string[] | undefined;
  requestedTenant?: string | undefined;
  client?: AuthenticatedClient;
  cnf?: TokenConfirmation;
  tenant?: string | undefined;
  audience?: string;
  scopes?: Scope[];
  token?: IssuedAccessToken;
}

export type TokenStepName =
  | 'parseRequest'
  | 'authenticateClient'
  | 'limitClient'
  | 'checkDpop'
  | 'resolveTenant'
  | 'resolveAudience'
  | 'checkScopes'
  | 'issue'
  | 'audit';

export interface TokenStep {
  readonly name: TokenStepName;
  run(context: TokenContext): Promise<void> | void;
}
