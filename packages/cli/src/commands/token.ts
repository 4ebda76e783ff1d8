import type { Command } from 'commander';
import { jwkThumbprint } from '@stella/auth';
import type { PublicJwk } from '@stella/auth';
import { UsageError } from '../cli-env.ts';
import type { CliEnv } from '../cli-env.ts';
import { PROFILE_HELP, withClient } from '../client/command-context.ts';
import type { ClientCommandDeps } from '../client/command-context.ts';
import { exportDpopPrivateJwk } from '../client/dpop-proof.ts';

interface TokenOptions {
  profile?: string;
  dataDir: string;
  audience: string;
  scope: string;
  json?: boolean;
}

const AUDIENCE = /^[a-z][a-z0-9-]{0,62}$/;
const SCOPE = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*( [a-z][a-z0-9-]*:[a-z][a-z0-9-]*)*$/;

/**
 * `stella token`: a DPoP-bound access token (RFC 9449) for scripts. This is the one command
 * that prints a token — with `--json` only, because handing it to a script is its purpose; the
 * human output says what the token is and how to use it, never the token itself.
 */
export function registerToken(program: Command, env: CliEnv, deps?: ClientCommandDeps): void {
  program
    .command('token')
    .description(
      'obtain a DPoP-bound access token (client credentials, handles the nonce challenge)',
    )
    .option('--profile <file>', PROFILE_HELP)
    .option('--data-dir <dir>', 'platform data dir (for the default profile)', './.stella')
    .requiredOption('--audience <aud>', 'the service the token is for: signer, attestor, authority')
    .requiredOption(
      '--scope <scopes>',
      'space-separated scopes, e.g. "evidence:read evidence:write"',
    )
    .option('--json', 'print {access_token, token_type, expires_in, scope, dpop_jwk, dpop_nonce?}')
    .addHelpText(
      'after',
      '\nExample:\n  stella token --profile .stella/clients/demo.profile.json --audience attestor \\\n    --scope "evidence:read" --json > token.json\n',
    )
    .action(async (opts: TokenOptions) => {
      if (!AUDIENCE.test(opts.audience))
        throw new UsageError('--audience must be one service name, e.g. attestor');
      const scope = opts.scope.trim().split(/\s+/).join(' ');
      if (!SCOPE.test(scope))
        throw new UsageError('--scope must be space-separated <area>:<verb> scopes');
      await withClient(opts, deps, async (client) => {
        const token = await client.token(opts.audience, scope);
        if (opts.json === true) {
          env.out(
            JSON.stringify({
              access_token: token.accessToken,
              token_type: token.tokenType,
              expires_in: token.expiresIn,
              scope: token.scope,
              dpop_jwk: exportDpopPrivateJwk(client.dpopKey),
              ...(token.nonce === undefined ? {} : { dpop_nonce: token.nonce }),
            }),
          );
          return;
        }
        const jkt = jwkThumbprint(client.dpopKey.publicJwk as PublicJwk);
        env.out(`token type: ${token.tokenType} (bound to DPoP key ${jkt})`);
        env.out(`expires in: ${token.expiresIn} s`);
        env.out(`scopes:     ${token.scope}`);
        env.out(`audience:   ${opts.audience} (tenant ${client.profile.tenant})`);
        env.out('the token is only printed with --json, together with its DPoP private key:');
        env.out(
          '  send `Authorization: DPoP <access_token>` and a `DPoP` proof signed with dpop_jwk',
        );
        env.out('  (htm, htu, iat, jti, ath, nonce = dpop_nonce) with every request (RFC 9449 §7)');
      });
    });
}

export const register = registerToken;
