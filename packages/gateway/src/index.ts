export { createGatewayService } from './service.ts';
export type {
  GatewayService,
  GatewayServiceOptions,
  GatewayHttpsOptions,
  GatewayLimits,
} from './service.ts';
export { gatewayDefaults } from './defaults.ts';
export type { RateWindow } from './defaults.ts';
export { gatewayErrorCodes, gatewayError } from './errors.ts';
export type { GatewayErrorCode } from './errors.ts';
export { parseRoute, parseRouteTable, isInternalPath, HTTP_METHODS } from './routes.ts';
export type { RouteDefinition, RouteRateLimits, HttpMethod } from './routes.ts';
export { defaultRoutes, defaultRouteInput, DEFAULT_UPSTREAMS } from './default-routes.ts';
export { matchRoute } from './route-match.ts';
export type { RouteMatch } from './route-match.ts';
export type { UpstreamOptions, UpstreamTls } from './upstream-pool.ts';
export type { GatewayAuthenticator, GatewayPrincipal, AuthenticateInput } from './auth-port.ts';
export { gatewayMigrations } from './migrations.ts';
export { composeGatewayService } from './compose.ts';
export type { GatewayComposeDeps, ComposedGateway } from './compose.ts';
export { parseGatewayConfig } from './gateway-config.ts';
export type { GatewayConfig } from './gateway-config.ts';
export { createAuthAuthenticator } from './auth-adapter.ts';
export type { AuthAdapterOptions } from './auth-adapter.ts';
