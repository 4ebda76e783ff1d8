/**
 * Per-request state the pipeline steps fill in, in order. Attached to the fastify request so
 * the error handler, proxy handler and access log see what each step decided.
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayPrincipal } from './auth-port.ts';
import type { PeerCertificate } from './client-cert.ts';
import type { RateState } from './rate-limit.ts';
import type { RouteDefinition } from './routes.ts';

export interface RequestContext {
  correlationId: string;
  traceparent: string;
  /** Client address: the TCP peer, or the X-Forwarded-For of a configured front door. */
  address: string;
  /** Vetted path + query. */
  target: string;
  host: string;
  route: RouteDefinition | undefined;
  principal: GatewayPrincipal | undefined;
  peerCertificate: PeerCertificate | undefined;
  /** Most restrictive rate-limit state so far (response headers). */
  rate: RateState | undefined;
  /** The per-address limiter could not reach the KV; the route decides fail-open/closed. */
  addressLimiterDown: boolean;
  /** Name of the step running (logs and audit name the step that refused). */
  step: string;
}

const CONTEXT = Symbol('stella.gateway.context');

type WithContext = FastifyRequest & { [CONTEXT]?: RequestContext };

export function setContext(request: FastifyRequest, context: RequestContext): void {
  (request as WithContext)[CONTEXT] = context;
}

export function getContext(request: FastifyRequest): RequestContext | undefined {
  return (request as WithContext)[CONTEXT];
}
