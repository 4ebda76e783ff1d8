import { s, type DeepReadonly, type Infer } from '@stella/core';
import { loadConfig } from '@stella/runtime';

/**
 * `stella up` configuration: one YAML/JSON file (`--config`) plus `STELLA_*` environment
 * overrides, unknown keys refused, frozen. The environment names map onto top-level keys
 * (`STELLA_GATEWAY_PORT` → `gatewayPort`, `STELLA_DATABASE_URL` → `databaseUrl`, nested sections
 * with `__`: `STELLA_AUTHORITY__ACCESS_TOKEN_LIFETIME_SECONDS`). No key holds a secret value:
 * keys and certificates are created in the data dir and referenced as `file:` secrets.
 */
const port = (fallback: number) => s.optional(s.integer({ min: 0, max: 65535 }), fallback);
const perMinute = () => s.optional(s.integer({ min: 1, max: 1_000_000 }));

export const platformConfigSchema = s.object({
  /** SPIFFE trust domain of service identities (`spiffe://<trustDomain>/svc/<name>`). */
  trustDomain: s.optional(
    s.string({ pattern: /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/ }),
    'stella.local',
  ),
  /** Address the gateway (the only public listener) binds; internal listeners are loopback only. */
  gatewayHost: s.optional(s.string({ min: 1, max: 255 }), '127.0.0.1'),
  /** Public gateway port (default 8443); `0` picks a free port. */
  gatewayPort: port(8443),
  /** Internal mTLS listeners (loopback). */
  authorityPort: port(9440),
  signerPort: port(9441),
  attestorPort: port(9442),
  /** Loopback Prometheus metrics listener of the gateway (never public); off when unset. */
  gatewayMetricsPort: s.optional(s.integer({ min: 0, max: 65535 })),
  /**
   * External URL clients use (DPoP `htu` base and token issuer). Default
   * `https://127.0.0.1:<gatewayPort>`. Set it when a front door (nginx) terminates TLS in front.
   */
  externalUrl: s.optional(s.string({ pattern: /^https:\/\/[^/?#]+$/ })),
  /**
   * Addresses of a front door (deploy/nginx) in front of the gateway: from them only, the
   * single-address `X-Forwarded-For` names the client for per-address limits and audit.
   */
  trustedProxies: s.optional(
    s.array(s.string({ pattern: /^[0-9a-fA-F.:]+$/, max: 45 }), { max: 64 }),
    [],
  ),
  /** PostgreSQL instead of embedded PGlite. */
  databaseUrl: s.optional(s.string({ pattern: /^postgres(ql)?:\/\// })),
  /**
   * Where embedded PGlite runs: on the event loop the services share (`main`), or in a worker
   * thread (`worker`: the database's work leaves that loop; pays off with spare cores, costs a
   * message per engine call — docs/performance.md has the measurement behind the default).
   */
  embeddedDatabaseThread: s.optional(s.string({ enum: ['main', 'worker'] }), 'main'),
  /** Valkey/Redis instead of in-memory state (required for more than one replica). */
  valkeyUrl: s.optional(s.string({ pattern: /^rediss?:\/\// })),
  logLevel: s.optional(
    s.string({ enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
    'info',
  ),
  /**
   * Secret references that replace the keys `stella up` generates in the data dir (e.g.
   * `docker:authority_signing_key`, `k8s:signer-key/value`, `vault:secret/stella/log#pem`).
   * Only references: a value that is not `file:|env:|docker:|k8s:|vault:` is refused.
   */
  secrets: s.optional(
    s.object({
      authoritySigningKey: s.optional(s.secretRef()),
      gatewayEnvelopeKey: s.optional(s.secretRef()),
      signerKey: s.optional(s.secretRef()),
      logKey: s.optional(s.secretRef()),
      dpopNonceSecret: s.optional(s.secretRef()),
    }),
    {},
  ),
  /** HashiCorp Vault for `vault:` references (KV v2 over HTTPS). */
  vault: s.optional(
    s.object({
      address: s.string({ pattern: /^https:\/\/[^/?#@]+$/ }),
      /** Token auth: a reference to the token (e.g. `file:/run/secrets/vault-token`). */
      tokenRef: s.optional(s.secretRef()),
      /** Kubernetes auth role (uses the pod's service-account token). */
      kubernetesRole: s.optional(s.string({ min: 1, max: 128 })),
      /** CA that signs Vault's certificate (a reference). */
      caRef: s.optional(s.secretRef()),
      namespace: s.optional(s.string({ min: 1, max: 256 })),
    }),
  ),
  authority: s.optional(
    s.object({
      /** Access-token lifetime, seconds (default 120; the Authority refuses > 300). */
      accessTokenLifetimeSeconds: s.optional(s.integer({ min: 1, max: 86_400 })),
      /** `/token` requests per client per minute (default 60). */
      tokenRequestsPerMinute: perMinute(),
      /** `/internal/*` admin requests per client per minute (default 5). */
      adminRequestsPerMinute: perMinute(),
    }),
    {},
  ),
});

export type PlatformConfig = DeepReadonly<Infer<typeof platformConfigSchema>>;

/** Variables that are not config keys: the CLI's own switches and the test-suite URLs. */
const NOT_CONFIG = ['STELLA_CONFIG', 'STELLA_DEBUG'];

export async function loadPlatformConfig(file: string | undefined, env: NodeJS.ProcessEnv) {
  return loadConfig({
    schema: platformConfigSchema,
    ...(file === undefined ? {} : { file }),
    env,
    ignoreEnv: NOT_CONFIG,
  });
}
