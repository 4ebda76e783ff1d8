/**
 * Prometheus text exposition (format 0.0.4) served only on the internal, loopback listener
 * (`metricsPort`); the external listener never exposes it. Labels are route names and stable
 * codes only, so cardinality is bounded by the route table and the error registry.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayMetrics {
  observe(route: string, status: number, durationMs: number): void;
  refused(code: string): void;
  render(): string;
}

export function createMetrics(): GatewayMetrics {
  const requests = new Map<string, number>();
  const refusals = new Map<string, number>();
  const durations = new Map<string, { sum: number; count: number }>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  return {
    observe(route, status, durationMs) {
      bump(requests, `route="${route}",status="${status}"`);
      const d = durations.get(route) ?? { sum: 0, count: 0 };
      d.sum += durationMs / 1000;
      d.count += 1;
      durations.set(route, d);
    },
    refused(code) {
      bump(refusals, `code="${code}"`);
    },
    render() {
      const lines = [
        '# HELP stella_gateway_requests_total Requests answered, by route and status.',
        '# TYPE stella_gateway_requests_total counter',
        ...[...requests].map(([l, v]) => `stella_gateway_requests_total{${l}} ${v}`),
        '# HELP stella_gateway_refusals_total Requests refused by the gateway, by error code.',
        '# TYPE stella_gateway_refusals_total counter',
        ...[...refusals].map(([l, v]) => `stella_gateway_refusals_total{${l}} ${v}`),
        '# HELP stella_gateway_request_duration_seconds Time to response, by route.',
        '# TYPE stella_gateway_request_duration_seconds summary',
        ...[...durations].flatMap(([route, d]) => [
          `stella_gateway_request_duration_seconds_sum{route="${route}"} ${d.sum}`,
          `stella_gateway_request_duration_seconds_count{route="${route}"} ${d.count}`,
        ]),
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}

/** The internal listener: `GET /metrics` only, bound to `host` (loopback by default). */
export async function listenMetrics(
  metrics: GatewayMetrics,
  host: string,
  port: number,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, address: server.address() as AddressInfo };
}
